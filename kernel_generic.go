package dropout

import "math"

// genericKernels is the pure-Go implementation. It is compiled everywhere and
// is the executable reference every SIMD path is tested against.
var genericKernels = kernels{
	name:       "generic",
	maskGroups: maskGroupsGeneric,
	forward32:  forwardGeneric[float32],
	forward64:  forwardGeneric[float64],
	apply32:    applyGeneric[float32],
	apply64:    applyGeneric[float64],
	affine32:   affineGeneric[float32],
	affine64:   affineGeneric[float64],
}

// groupWord returns the kept bits of group h: bit b is set iff element
// 32*h+b is kept. Random bits are compared with T most significant first, so
// the loop stops as soon as no element of the group is undecided. The first
// two Philox calls are made together: 8 depths decide all 32 elements about
// 88% of the time, and two independent calls overlap in the CPU, where a
// data-dependent exit after the first would mispredict.
func groupWord(h uint64, p *philoxPlan) uint32 {
	kept, undecided := uint32(0), ^uint32(0)
	lo, hi := uint32(h), uint32(h>>32)
	c := uint64(0)
	if p.calls >= 2 {
		r0, r1 := philoxCalls01(lo, hi, &p.roundKeys)
		kept, undecided = decide(kept, undecided, r0, p, 0)
		kept, undecided = decide(kept, undecided, r1, p, 1)
		c = 2
	}
	for ; c < min(p.calls, maxDepth/4) && undecided != 0; c++ {
		kept, undecided = decide(kept, undecided, philoxWithKeys([4]uint32{lo, hi, uint32(c), 0}, &p.roundKeys), p, c)
	}
	return kept
}

// decide compares the four depths 4c..4c+3 given by the random words r.
// Where T has a 1, a 0 random bit decides "kept"; where the bits differ in
// either direction the element is decided.
func decide(kept, undecided uint32, r [4]uint32, p *philoxPlan, c uint64) (uint32, uint32) {
	t := (*[4]uint32)(p.keepAt[4*c : 4*c+4])
	kept |= undecided &^ r[0] & t[0]
	undecided &^= r[0] ^ t[0]
	kept |= undecided &^ r[1] & t[1]
	undecided &^= r[1] ^ t[1]
	kept |= undecided &^ r[2] & t[2]
	undecided &^= r[2] ^ t[2]
	kept |= undecided &^ r[3] & t[3]
	undecided &^= r[3] ^ t[3]
	return kept, undecided
}

// philoxRound is one Philox4x32 round with key (k0, k1).
func philoxRound(x0, x1, x2, x3, k0, k1 uint32) (uint32, uint32, uint32, uint32) {
	p0 := uint64(philoxM0) * uint64(x0)
	p1 := uint64(philoxM1) * uint64(x2)
	return uint32(p1>>32) ^ x1 ^ k0, uint32(p1), uint32(p0>>32) ^ x3 ^ k1, uint32(p0)
}

// philoxWithKeys is philox4x32 with the round keys precomputed, unrolled.
func philoxWithKeys(ctr [4]uint32, k *[2 * philoxRounds]uint32) [4]uint32 {
	x0, x1, x2, x3 := ctr[0], ctr[1], ctr[2], ctr[3]
	x0, x1, x2, x3 = philoxRound(x0, x1, x2, x3, k[0], k[1])
	x0, x1, x2, x3 = philoxRound(x0, x1, x2, x3, k[2], k[3])
	x0, x1, x2, x3 = philoxRound(x0, x1, x2, x3, k[4], k[5])
	x0, x1, x2, x3 = philoxRound(x0, x1, x2, x3, k[6], k[7])
	x0, x1, x2, x3 = philoxRound(x0, x1, x2, x3, k[8], k[9])
	x0, x1, x2, x3 = philoxRound(x0, x1, x2, x3, k[10], k[11])
	x0, x1, x2, x3 = philoxRound(x0, x1, x2, x3, k[12], k[13])
	x0, x1, x2, x3 = philoxRound(x0, x1, x2, x3, k[14], k[15])
	x0, x1, x2, x3 = philoxRound(x0, x1, x2, x3, k[16], k[17])
	x0, x1, x2, x3 = philoxRound(x0, x1, x2, x3, k[18], k[19])
	return [4]uint32{x0, x1, x2, x3}
}

// philoxCalls01 computes calls 0 and 1 of a group (counter words 2 = 0, 1)
// with their rounds interleaved, so the two dependency chains run in parallel.
func philoxCalls01(lo, hi uint32, k *[2 * philoxRounds]uint32) (r0, r1 [4]uint32) {
	a0, a1, a2, a3 := lo, hi, uint32(0), uint32(0)
	b0, b1, b2, b3 := lo, hi, uint32(1), uint32(0)
	for r := 0; r < philoxRounds; r++ {
		k0, k1 := k[2*r], k[2*r+1]
		a0, a1, a2, a3 = philoxRound(a0, a1, a2, a3, k0, k1)
		b0, b1, b2, b3 = philoxRound(b0, b1, b2, b3, k0, k1)
	}
	return [4]uint32{a0, a1, a2, a3}, [4]uint32{b0, b1, b2, b3}
}

func maskGroupsGeneric(out []uint32, first uint64, p *philoxPlan) {
	for j := range out {
		out[j] = groupWord(first+uint64(j), p)
	}
}

func forwardGeneric[T Float](dst, src []T, out []uint32, first uint64, p *philoxPlan, scale T) {
	for j := range out {
		w := groupWord(first+uint64(j), p)
		out[j] = w
		scaleByBits(dst[32*j:32*j+32], src[32*j:32*j+32], uint64(w), scale)
	}
}

func applyGeneric[T Float](dst, src []T, mask []uint64, scale T) {
	for w, m := range mask {
		scaleByBits(dst[64*w:64*w+64], src[64*w:64*w+64], m, scale)
	}
}

// scaleByBits sets dst[i] = src[i]*scale where bit i of m is set, else +0.
// len(dst) == len(src) <= 64. The select is done on the bits, without a
// branch: mask bits are random, so a branch would mispredict often.
func scaleByBits[T Float](dst, src []T, m uint64, scale T) {
	switch d := any(dst).(type) {
	case []float32:
		scaleByBits32(d, any(src).([]float32), m, float32(scale))
	case []float64:
		scaleByBits64(d, any(src).([]float64), m, float64(scale))
	}
}

func scaleByBits32(dst, src []float32, m uint64, scale float32) {
	src = src[:len(dst)]
	for i := range dst {
		keep := -uint32(m & 1) // all ones or zero
		m >>= 1
		dst[i] = math.Float32frombits(math.Float32bits(src[i]*scale) & keep)
	}
}

func scaleByBits64(dst, src []float64, m uint64, scale float64) {
	src = src[:len(dst)]
	for i := range dst {
		keep := -(m & 1)
		m >>= 1
		dst[i] = math.Float64frombits(math.Float64bits(src[i]*scale) & keep)
	}
}

func affineGeneric[T Float](dst, src []T, mask []uint64, a, b, d T) {
	for w, m := range mask {
		affineByBits(dst[64*w:64*w+64], src[64*w:64*w+64], m, a, b, d)
	}
}

// affineByBits sets dst[i] = T(src[i]*a)+b where bit i of m is set, else d.
// len(dst) == len(src) <= 64.
func affineByBits[T Float](dst, src []T, m uint64, a, b, d T) {
	src = src[:len(dst)]
	for i := range dst {
		y := T(src[i]*a) + b // the conversion forbids fusing into an FMA
		if m&1 == 0 {
			y = d
		}
		m >>= 1
		dst[i] = y
	}
}

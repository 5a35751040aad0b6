package dropout

import (
	"math"
	"math/bits"
)

// genericKernels is the pure-Go implementation. It is compiled everywhere and
// is the executable reference every SIMD path is tested against.
var genericKernels = kernels{
	name:        "generic",
	maskGroups:  maskGroupsGeneric,
	forward32:   forwardGeneric(scaleByBits32),
	forward64:   forwardGeneric(scaleByBits64),
	forwardBF16: forwardGeneric(scaleByBitsBF16),
	forwardF16:  forwardGeneric(scaleByBitsF16),
	apply32:     applyGeneric(scaleByBits32),
	apply64:     applyGeneric(scaleByBits64),
	applyBF16:   applyGeneric(scaleByBitsBF16),
	applyF16:    applyGeneric(scaleByBitsF16),
	affine32:    affineGeneric(affineByBits32),
	affine64:    affineGeneric(affineByBits64),
	affineBF16:  affineGeneric(affineByBitsBF16),
	affineF16:   affineGeneric(affineByBitsF16),
}

// groupWord returns the kept bits of group h: bit b is set iff element
// 32*h+b is kept. Random bits are compared with T most significant first, so
// the loop stops as soon as no element of the group is undecided. The first
// two Philox calls are made together: 8 depths decide all 32 elements about
// 88% of the time, and two independent calls overlap in the CPU, where a
// data-dependent exit after the first would mispredict.
func groupWord(h uint64, p *philoxPlan) uint32 {
	if p.calls < 2 {
		return finishGroup(0, ^uint32(0), 0, h, p)
	}
	r0, r1 := philoxCalls01(uint32(h), uint32(h>>32), &p.roundKeys)
	kept, undecided := decide(0, ^uint32(0), r0, p, 0)
	kept, undecided = decide(kept, undecided, r1, p, 1)
	return finishGroup(kept, undecided, 2, h, p)
}

// groupWordPair is groupWord for groups h and h+1, which must share the
// counter's upper word: the four first calls are interleaved, so four
// independent dependency chains keep the CPU busy.
func groupWordPair(h uint64, p *philoxPlan) (uint32, uint32) {
	if p.calls < 2 {
		return groupWord(h, p), groupWord(h+1, p)
	}
	a0, a1, b0, b1 := philoxCalls01Pair(uint32(h), uint32(h>>32), &p.roundKeys)
	ka, ua := decide(0, ^uint32(0), a0, p, 0)
	ka, ua = decide(ka, ua, a1, p, 1)
	kb, ub := decide(0, ^uint32(0), b0, p, 0)
	kb, ub = decide(kb, ub, b1, p, 1)
	return finishGroup(ka, ua, 2, h, p), finishGroup(kb, ub, 2, h+1, p)
}

// finishGroup makes calls c, c+1, ... of group h until no element is
// undecided or T has no 1 bit left.
func finishGroup(kept, undecided uint32, c uint64, h uint64, p *philoxPlan) uint32 {
	for ; c < min(p.calls, maxDepth/4) && undecided != 0; c++ {
		kept, undecided = decide(kept, undecided, philoxWithKeys([4]uint32{uint32(h), uint32(h >> 32), uint32(c), 0}, &p.roundKeys), p, c)
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

// philoxCalls01Pair is philoxCalls01 for groups lo and lo+1 (same upper
// word) at once.
func philoxCalls01Pair(lo, hi uint32, k *[2 * philoxRounds]uint32) (a0, a1, b0, b1 [4]uint32) {
	// Round 0 and 1 as in philoxCalls01, for both groups.
	pa := uint64(philoxM0) * uint64(lo)
	pb := uint64(philoxM0) * uint64(lo+1)
	x0 := hi ^ k[0]
	ax2, ax3 := uint32(pa>>32)^k[1], uint32(pa)
	bx2, bx3 := uint32(pb>>32)^k[1], uint32(pb)
	q0 := uint64(philoxM0) * uint64(x0) // x0 is the same for both groups
	qa := uint64(philoxM1) * uint64(ax2)
	qb := uint64(philoxM1) * uint64(bx2)
	c0, c1, c2, c3 := uint32(qa>>32)^k[2], uint32(qa), uint32(q0>>32)^ax3^k[3], uint32(q0)
	d0, d1, d2, d3 := uint32(qa>>32)^philoxM1^k[2], c1, c2, c3
	e0, e1, e2, e3 := uint32(qb>>32)^k[2], uint32(qb), uint32(q0>>32)^bx3^k[3], uint32(q0)
	f0, f1, f2, f3 := uint32(qb>>32)^philoxM1^k[2], e1, e2, e3
	for r := 2; r < philoxRounds; r++ {
		k0, k1 := k[2*r], k[2*r+1]
		c0, c1, c2, c3 = philoxRound(c0, c1, c2, c3, k0, k1)
		d0, d1, d2, d3 = philoxRound(d0, d1, d2, d3, k0, k1)
		e0, e1, e2, e3 = philoxRound(e0, e1, e2, e3, k0, k1)
		f0, f1, f2, f3 = philoxRound(f0, f1, f2, f3, k0, k1)
	}
	return [4]uint32{c0, c1, c2, c3}, [4]uint32{d0, d1, d2, d3}, [4]uint32{e0, e1, e2, e3}, [4]uint32{f0, f1, f2, f3}
}

// philoxCalls01 computes calls 0 and 1 of a group (counter word 2 = 0, 1)
// with their rounds interleaved, so the two dependency chains run in
// parallel. The counters differ only in word 2, so rounds 0 and 1 share
// their products: M1*0 = 0 and M1*1 = M1 leave the chains differing in x1
// after round 0 and in x0 after round 1.
func philoxCalls01(lo, hi uint32, k *[2 * philoxRounds]uint32) (r0, r1 [4]uint32) {
	p0 := uint64(philoxM0) * uint64(lo)
	x0, x2, x3 := hi^k[0], uint32(p0>>32)^k[1], uint32(p0) // round 0, both chains
	p0 = uint64(philoxM0) * uint64(x0)
	p1 := uint64(philoxM1) * uint64(x2)
	a0 := uint32(p1>>32) ^ 0 ^ k[2] // round 1: x1 was 0 in chain a ...
	b0 := uint32(p1>>32) ^ philoxM1 ^ k[2]
	x1, x2, x3 := uint32(p1), uint32(p0>>32)^x3^k[3], uint32(p0)
	a1, a2, a3 := x1, x2, x3 // ... and M1 in chain b
	b1, b2, b3 := x1, x2, x3
	for r := 2; r < philoxRounds; r++ {
		k0, k1 := k[2*r], k[2*r+1]
		a0, a1, a2, a3 = philoxRound(a0, a1, a2, a3, k0, k1)
		b0, b1, b2, b3 = philoxRound(b0, b1, b2, b3, k0, k1)
	}
	return [4]uint32{a0, a1, a2, a3}, [4]uint32{b0, b1, b2, b3}
}

func maskGroupsGeneric(out []uint32, first uint64, p *philoxPlan) {
	j := 0
	for ; j+1 < len(out); j += 2 {
		out[j], out[j+1] = groupWordPair(first+uint64(j), p)
	}
	if j < len(out) {
		out[j] = groupWord(first+uint64(j), p)
	}
}

// forwardGeneric builds the fused forward kernel of one element type from
// its 32-or-fewer-element select-and-scale loop.
func forwardGeneric[E, S any](byBits func(dst, src []E, m uint64, scale S)) func(dst, src []E, out []uint32, first uint64, p *philoxPlan, scale S) {
	return func(dst, src []E, out []uint32, first uint64, p *philoxPlan, scale S) {
		j := 0
		for ; j+1 < len(out); j += 2 {
			out[j], out[j+1] = groupWordPair(first+uint64(j), p)
			byBits(dst[32*j:32*j+64], src[32*j:32*j+64], uint64(out[j])|uint64(out[j+1])<<32, scale)
		}
		if j < len(out) {
			out[j] = groupWord(first+uint64(j), p)
			byBits(dst[32*j:32*j+32], src[32*j:32*j+32], uint64(out[j]), scale)
		}
	}
}

// applyGeneric builds the apply kernel of one element type.
func applyGeneric[E, S any](byBits func(dst, src []E, m uint64, scale S)) func(dst, src []E, mask []uint64, scale S) {
	return func(dst, src []E, mask []uint64, scale S) {
		for w, m := range mask {
			byBits(dst[64*w:64*w+64], src[64*w:64*w+64], m, scale)
		}
	}
}

// affineGeneric builds the affine-select kernel of one element type.
func affineGeneric[E, S any](byBits func(dst, src []E, m uint64, a, b S, d E)) func(dst, src []E, mask []uint64, a, b S, d E) {
	return func(dst, src []E, mask []uint64, a, b S, d E) {
		for w, m := range mask {
			byBits(dst[64*w:64*w+64], src[64*w:64*w+64], m, a, b, d)
		}
	}
}

// The byBits loops below set dst[i] from src[i] for the up to 64 elements
// of dst, bit i of m choosing kept or dropped. Mask bits are random, so a
// branch per element would mispredict often: the float loops scale every
// element and then zero the dropped ones, visiting only the clear bits.

func scaleByBits32(dst, src []float32, m uint64, scale float32) {
	src = src[:len(dst)]
	i := 0
	for ; i+4 <= len(dst); i += 4 { // unrolled: the loop overhead was a third of the work
		d, s := dst[i:i+4:i+4], src[i:i+4:i+4]
		d[0], d[1], d[2], d[3] = s[0]*scale, s[1]*scale, s[2]*scale, s[3]*scale
	}
	for ; i < len(dst); i++ {
		dst[i] = src[i] * scale
	}
	zeroDropped(dst, m)
}

func scaleByBits64(dst, src []float64, m uint64, scale float64) {
	src = src[:len(dst)]
	for i := range dst {
		dst[i] = src[i] * scale
	}
	zeroDropped(dst, m)
}

// zeroDropped sets dst[i] = +0 where bit i of m is clear.
func zeroDropped[E float32 | float64](dst []E, m uint64) {
	dropped := ^m
	if len(dst) < 64 {
		dropped &= 1<<uint(len(dst)) - 1
	}
	for ; dropped != 0; dropped &= dropped - 1 {
		dst[bits.TrailingZeros64(dropped)] = 0
	}
}

func scaleByBitsBF16(dst, src []BFloat16, m uint64, scale float32) {
	src = src[:len(dst)]
	for i := range dst {
		keep := -BFloat16(m & 1)
		m >>= 1
		dst[i] = BFloat16FromFloat32(src[i].Float32()*scale) & keep
	}
}

func scaleByBitsF16(dst, src []Float16, m uint64, scale float32) {
	src = src[:len(dst)]
	for i := range dst {
		keep := -Float16(m & 1)
		m >>= 1
		// The conversions' common cases inline, the rest is called.
		x, ok := src[i].float32Normal()
		if !ok {
			x = src[i].float32Special()
		}
		p := x * scale
		y, ok := float16FromNormal(p)
		if !ok {
			y = float16FromSpecial(math.Float32bits(p))
		}
		dst[i] = y & keep
	}
}

// The conversions to float32 before each add keep the compiler from fusing
// the multiply and the add into an FMA: the definition rounds twice.

func affineByBits32(dst, src []float32, m uint64, a, b, d float32) {
	src = src[:len(dst)]
	db := math.Float32bits(d)
	for i := range dst {
		keep := -uint32(m & 1)
		m >>= 1
		y := math.Float32bits(float32(src[i]*a) + b)
		dst[i] = math.Float32frombits(y&keep | db&^keep)
	}
}

func affineByBits64(dst, src []float64, m uint64, a, b, d float64) {
	src = src[:len(dst)]
	db := math.Float64bits(d)
	for i := range dst {
		keep := -(m & 1)
		m >>= 1
		y := math.Float64bits(float64(src[i]*a) + b)
		dst[i] = math.Float64frombits(y&keep | db&^keep)
	}
}

func affineByBitsBF16(dst, src []BFloat16, m uint64, a, b float32, d BFloat16) {
	src = src[:len(dst)]
	for i := range dst {
		keep := -BFloat16(m & 1)
		m >>= 1
		y := BFloat16FromFloat32(float32(src[i].Float32()*a) + b)
		dst[i] = y&keep | d&^keep
	}
}

func affineByBitsF16(dst, src []Float16, m uint64, a, b float32, d Float16) {
	src = src[:len(dst)]
	for i := range dst {
		keep := -Float16(m & 1)
		m >>= 1
		// As in scaleByBitsF16.
		x, ok := src[i].float32Normal()
		if !ok {
			x = src[i].float32Special()
		}
		p := float32(x*a) + b
		y, ok := float16FromNormal(p)
		if !ok {
			y = float16FromSpecial(math.Float32bits(p))
		}
		dst[i] = y&keep | d&^keep
	}
}

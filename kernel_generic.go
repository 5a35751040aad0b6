package dropout

// genericKernels is the pure-Go implementation. It is compiled everywhere and
// is the executable reference every SIMD path is tested against.
var genericKernels = kernels{
	name:       "generic",
	maskGroups: maskGroupsGeneric,
	forward32:  forwardGeneric[float32],
	forward64:  forwardGeneric[float64],
	apply32:    applyGeneric[float32],
	apply64:    applyGeneric[float64],
}

// groupWord returns the kept bits of group h: bit b is set iff element
// 32*h+b is kept. Random bits are compared with T most significant first, so
// the loop stops as soon as no element of the group is undecided.
func groupWord(h uint64, p *philoxPlan) uint32 {
	var kept uint32
	undecided := ^uint32(0)
	for c := uint64(0); c < p.calls && undecided != 0; c++ {
		r := philoxWithKeys([4]uint32{uint32(h), uint32(h >> 32), uint32(c), 0}, &p.roundKeys)
		for k, word := range r {
			keepHere := p.keepAt[4*int(c)+k]
			// Where T has a 1, a 0 random bit decides "kept"; where the
			// bits differ in either direction the element is decided.
			kept |= undecided &^ word & keepHere
			undecided &^= word ^ keepHere
		}
	}
	return kept
}

// philoxWithKeys is philox4x32 with the round keys precomputed.
func philoxWithKeys(ctr [4]uint32, keys *[2 * philoxRounds]uint32) [4]uint32 {
	x0, x1, x2, x3 := ctr[0], ctr[1], ctr[2], ctr[3]
	for r := 0; r < philoxRounds; r++ {
		p0 := uint64(philoxM0) * uint64(x0)
		p1 := uint64(philoxM1) * uint64(x2)
		x0, x1, x2, x3 = uint32(p1>>32)^x1^keys[2*r], uint32(p1), uint32(p0>>32)^x3^keys[2*r+1], uint32(p0)
	}
	return [4]uint32{x0, x1, x2, x3}
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
// len(dst) == len(src) <= 64.
func scaleByBits[T Float](dst, src []T, m uint64, scale T) {
	src = src[:len(dst)]
	for i := range dst {
		y := src[i] * scale
		if m>>uint(i)&1 == 0 {
			y = 0
		}
		dst[i] = y
	}
}

package dropout

import (
	"math"
)

// This file is the test suite's own, deliberately slow implementation of
// mask v1, written straight from the definition with no early exit and no
// shared code with the kernels beyond philox4x32 (checked by its known
// answers).

// refRandom returns r(g), the 32-bit random number of stream element g.
func refRandom(seed, g uint64) uint32 {
	h, b := g/32, g%32
	key := [2]uint32{uint32(seed), uint32(seed >> 32)}
	var r uint32
	for d := 0; d < 32; d++ {
		words := philox4x32([4]uint32{uint32(h), uint32(h >> 32), uint32(d / 4), 0}, key)
		bit := words[d%4] >> b & 1
		r |= bit << (31 - d)
	}
	return r
}

// refKept reports whether element i of a call with cfg is kept.
func refKept(cfg Config, i int) bool {
	t := uint64(math.Round(cfg.Keep * (1 << 32)))
	return uint64(refRandom(cfg.Seed, cfg.Offset+uint64(i))) < t
}

// refBits returns the kept flags of n elements.
func refBits(cfg Config, n int) []bool {
	kept := make([]bool, n)
	for i := range kept {
		kept[i] = refKept(cfg, i)
	}
	return kept
}

// refMask packs kept flags into mask words.
func refMask(kept []bool) []uint64 {
	mask := make([]uint64, (len(kept)+63)/64)
	for i, k := range kept {
		if k {
			mask[i/64] |= 1 << (i % 64)
		}
	}
	return mask
}

// refOutput is the forward output for kept flags: x*S for kept elements
// (one rounding), +0 for dropped, and the input itself when Keep rounds to 1.
func refOutput[T Float](src []T, kept []bool, keep float64) []T {
	t := uint64(math.Round(keep * (1 << 32)))
	dst := make([]T, len(src))
	for i, x := range src {
		switch {
		case t == 1<<32:
			dst[i] = x
		case kept[i]:
			dst[i] = refMul(x, float64(1<<32)/float64(t))
		}
	}
	return dst
}

// refApply is Apply's definition. Not inlined: with a constant scale of 1
// the compiler would fold x*1 to x, which does not quiet signalling NaNs.
//
//go:noinline
func refApply[T Float](src []T, mask []uint64, scale float64) []T {
	dst := make([]T, len(src))
	for i, x := range src {
		if mask[i/64]>>(i%64)&1 == 1 {
			dst[i] = refMul(x, scale)
		}
	}
	return dst
}

// refMul is a kept element: x*S with S the scale converted to T, one
// rounding; the 16-bit types multiply in float32 and round once more.
func refMul[T Float](x T, s float64) T {
	switch v := any(x).(type) {
	case float32:
		return any(v * float32(s)).(T)
	case float64:
		return any(v * s).(T)
	case BFloat16:
		return any(BFloat16FromFloat32(v.Float32() * float32(s))).(T)
	case Float16:
		return any(Float16FromFloat32(v.Float32() * float32(s))).(T)
	}
	panic("unreachable")
}

// refAffine is a kept alpha-dropout element: T(x*A) + B, two roundings
// (in float32 for the 16-bit types, then one more to 16 bits).
// refNarrow converts a float64 constant to T as the definition says: the
// 16-bit types through float32 (the package's fromFloat64, written again).
func refNarrow[T Float](v float64) T {
	var x T
	switch any(x).(type) {
	case float32:
		return any(float32(v)).(T)
	case float64:
		return any(v).(T)
	case BFloat16:
		return any(BFloat16FromFloat32(float32(v))).(T)
	}
	return any(Float16FromFloat32(float32(v))).(T)
}

func refAffine[T Float](x T, a, b float64) T {
	switch v := any(x).(type) {
	case float32:
		return any(float32(v*float32(a)) + float32(b)).(T)
	case float64:
		return any(float64(v*a) + b).(T)
	case BFloat16:
		return any(BFloat16FromFloat32(float32(v.Float32()*float32(a)) + float32(b))).(T)
	case Float16:
		return any(Float16FromFloat32(float32(v.Float32()*float32(a)) + float32(b))).(T)
	}
	panic("unreachable")
}

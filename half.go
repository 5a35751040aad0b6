package dropout

import "math"

// BFloat16 is a bfloat16 bit pattern: the upper half of a float32.
type BFloat16 uint16

// Float16 is an IEEE 754 binary16 bit pattern.
type Float16 uint16

// BFloat16FromFloat32 rounds f to the nearest bfloat16, ties to even,
// keeping subnormals (no flush to zero). A NaN stays a NaN: quieted, with
// the sign and the upper payload bits kept.
func BFloat16FromFloat32(f float32) BFloat16 {
	b := math.Float32bits(f)
	if b&0x7fffffff > 0x7f800000 { // NaN
		return BFloat16(b>>16 | 0x0040)
	}
	// Adding 0x7fff plus the lowest kept bit rounds to nearest, ties to
	// even; a carry into the exponent is the correct rounding up, also to Inf.
	return BFloat16((b + 0x7fff + b>>16&1) >> 16)
}

// Float32 returns h exactly.
func (h BFloat16) Float32() float32 { return math.Float32frombits(uint32(h) << 16) }

// Float16FromFloat32 rounds f to the nearest binary16, ties to even, with
// subnormal results and overflow to Inf per IEEE 754. A NaN stays a NaN:
// quieted, with the sign and the upper payload bits kept (as x86 F16C and
// arm64 FCVTN do).
func Float16FromFloat32(f float32) Float16 {
	if h, ok := float16FromNormal(f); ok {
		return h
	}
	return float16FromSpecial(math.Float32bits(f))
}

// float16FromNormal is Float16FromFloat32 for f whose result is a normal
// binary16 (ok), the common case. It is small enough to inline, and the
// pure-Go kernels call it for every element.
func float16FromNormal(f float32) (h Float16, ok bool) {
	b := math.Float32bits(f)
	abs := b & 0x7fffffff
	if abs-0x38800000 >= 0x477ff000-0x38800000 { // not 2^-14 <= |f| < 65520
		return 0, false
	}
	// Rebias the exponent (127 -> 15) and round the 13 dropped bits.
	v := abs - 0x38000000
	return Float16(uint16(b>>16)&0x8000 | uint16((v+0x0fff+v>>13&1)>>13)), true
}

// float16FromSpecial is Float16FromFloat32 for the float32 bits b of a NaN,
// an Inf, or a value whose result is Inf, subnormal or zero.
func float16FromSpecial(b uint32) Float16 {
	sign := uint16(b>>16) & 0x8000
	abs := b & 0x7fffffff
	switch {
	case abs > 0x7f800000: // NaN
		return Float16(sign | 0x7e00 | uint16(abs>>13)&0x03ff)
	case abs >= 0x477ff000: // >= 65520, the midpoint past the largest finite: Inf
		return Float16(sign | 0x7c00)
	case abs <= 0x33000000: // <= 2^-25, half the smallest subnormal: to zero (a tie rounds to even 0)
		return Float16(sign)
	}
	// A subnormal result: the value in units of 2^-24, rounded to even.
	exp := abs >> 23                    // 102..112
	mant := abs&0x007fffff | 0x00800000 // 24 significant bits
	shift := 126 - exp                  // value = mant * 2^(exp-150) = (mant >> shift) * 2^-24
	q := mant >> shift
	rem := mant & (1<<shift - 1)
	half := uint32(1) << (shift - 1)
	if rem > half || rem == half && q&1 == 1 {
		q++
	}
	return Float16(sign | uint16(q))
}

// Float32 returns h exactly.
func (h Float16) Float32() float32 {
	if f, ok := h.float32Normal(); ok {
		return f
	}
	return h.float32Special()
}

// float32Normal is Float32 for a normal h (ok), small enough to inline.
func (h Float16) float32Normal() (f float32, ok bool) {
	if h&0x7c00 == 0 || h&0x7c00 == 0x7c00 {
		return 0, false
	}
	// Rebias the exponent (15 -> 127).
	return math.Float32frombits(uint32(h&0x8000)<<16 | (uint32(h&0x7fff)+112<<10)<<13), true
}

// float32Special is Float32 for zeros, subnormals, Infs and NaNs.
func (h Float16) float32Special() float32 {
	sign := uint32(h&0x8000) << 16
	mant := uint32(h) & 0x03ff
	if h&0x7c00 != 0 { // Inf, NaN
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	}
	if mant == 0 {
		return math.Float32frombits(sign)
	}
	f := float32(mant) * (1.0 / (1 << 24)) // a subnormal: exact in float32
	if sign != 0 {
		f = -f
	}
	return f
}

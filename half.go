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
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	abs := b & 0x7fffffff
	switch {
	case abs > 0x7f800000: // NaN
		return Float16(sign | 0x7e00 | uint16(abs>>13)&0x03ff)
	case abs >= 0x477ff000: // >= 65520, the midpoint past the largest finite: Inf
		return Float16(sign | 0x7c00)
	case abs >= 0x38800000: // >= 2^-14: a normal result
		// Rebias the exponent (127 -> 15) and round the 13 dropped bits.
		v := abs - 0x38000000
		return Float16(sign | uint16((v+0x0fff+v>>13&1)>>13))
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
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x03ff
	switch exp {
	case 0x1f: // Inf, NaN
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case 0:
		if mant == 0 {
			return math.Float32frombits(sign)
		}
		f := float32(mant) * (1.0 / (1 << 24)) // a subnormal: exact in float32
		if sign != 0 {
			f = -f
		}
		return f
	}
	return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
}

package dropout

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

// A slow, obviously correct model of the two 16-bit formats: decode a
// pattern with float64 arithmetic, and round by searching the sorted table
// of all non-negative finite values for the nearest one, ties to the even
// pattern, with Inf standing in as the next value after the largest.

type format16 struct {
	name      string
	expBits   int
	mantBits  int
	infBits   uint16
	quietBit  uint16
	fromFloat func(float32) uint16
	toFloat   func(uint16) float32
	values    []float64 // values[p] for patterns 0..infBits; values[infBits] is the virtual Inf
}

func newFormat16(name string, expBits, mantBits int, from func(float32) uint16, to func(uint16) float32) *format16 {
	f := &format16{name: name, expBits: expBits, mantBits: mantBits, fromFloat: from, toFloat: to}
	f.infBits = uint16((1<<expBits - 1) << mantBits)
	f.quietBit = 1 << (mantBits - 1)
	for p := 0; p <= int(f.infBits); p++ {
		f.values = append(f.values, f.decode(uint16(p)))
	}
	// Inf rounds like the next binade's first value.
	bias := 1<<(expBits-1) - 1
	f.values[f.infBits] = math.Ldexp(1, 1<<expBits-1-bias)
	return f
}

// decode returns the value of a non-NaN pattern.
func (f *format16) decode(p uint16) float64 {
	bias := 1<<(f.expBits-1) - 1
	sign := 1.0
	if p>>15 == 1 {
		sign = -1
	}
	e := int(p>>f.mantBits) & (1<<f.expBits - 1)
	m := float64(int(p) & (1<<f.mantBits - 1))
	switch e {
	case 1<<f.expBits - 1:
		return sign * math.Inf(1)
	case 0:
		return sign * math.Ldexp(m, 1-bias-f.mantBits)
	}
	return sign * math.Ldexp(1+m/float64(int(1)<<f.mantBits), e-bias)
}

func (f *format16) isNaN(p uint16) bool {
	return p&0x7fff > f.infBits
}

// round is the reference rounding of a non-NaN float32.
func (f *format16) round(x float32) uint16 {
	v := float64(x)
	sign := uint16(0)
	if math.Signbit(v) {
		sign, v = 0x8000, -v
	}
	if math.IsInf(v, 1) {
		return sign | f.infBits
	}
	i := sort.SearchFloat64s(f.values, v) // first index with values[i] >= v
	if i < len(f.values) && f.values[i] == v {
		return sign | uint16(i)
	}
	if i == len(f.values) { // beyond the virtual Inf
		return sign | f.infBits
	}
	lo, hi := i-1, i
	dLo, dHi := v-f.values[lo], f.values[hi]-v
	switch {
	case dLo < dHi:
		return sign | uint16(lo)
	case dHi < dLo:
		return sign | uint16(hi)
	}
	if lo%2 == 0 {
		return sign | uint16(lo)
	}
	return sign | uint16(hi)
}

var formats16 = []*format16{
	newFormat16("bfloat16", 8, 7,
		func(x float32) uint16 { return uint16(BFloat16FromFloat32(x)) },
		func(p uint16) float32 { return BFloat16(p).Float32() }),
	newFormat16("float16", 5, 10,
		func(x float32) uint16 { return uint16(Float16FromFloat32(x)) },
		func(p uint16) float32 { return Float16(p).Float32() }),
}

// TestWidenAll16: every one of the 65536 patterns widens exactly, NaNs to
// NaNs with sign and payload kept.
func TestWidenAll16(t *testing.T) {
	for _, f := range formats16 {
		for p := 0; p < 1<<16; p++ {
			got := f.toFloat(uint16(p))
			if f.isNaN(uint16(p)) {
				b := math.Float32bits(got)
				if !math.IsNaN(float64(got)) || uint16(b>>16)&0x8000 != uint16(p)&0x8000 {
					t.Fatalf("%s %#04x: widened to %#08x, want a NaN of the same sign", f.name, p, b)
				}
				continue
			}
			if want := f.decode(uint16(p)); float64(got) != want || math.Signbit(float64(got)) != math.Signbit(want) {
				t.Fatalf("%s %#04x: widened to %v, want %v", f.name, p, got, want)
			}
			// Round trip.
			if back := f.fromFloat(got); back != uint16(p) {
				t.Fatalf("%s %#04x: round trip gives %#04x", f.name, p, back)
			}
		}
	}
}

// TestNarrowSweep rounds float32 values where rounding is decided: every
// 16-bit value, the midpoints between neighbours (ties), one float32 ulp on
// either side of both, a dense sweep over the subnormal boundaries and the
// overflow threshold, and random patterns.
func TestNarrowSweep(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	for _, f := range formats16 {
		check := func(x float32) {
			got := f.fromFloat(x)
			if math.IsNaN(float64(x)) {
				b := math.Float32bits(x)
				want := uint16(b>>16)&0x8000 | f.infBits | f.quietBit | uint16(b&0x7fffff>>(23-f.mantBits))
				if got != want {
					t.Fatalf("%s(NaN %#08x) = %#04x, want %#04x (quiet, payload kept)", f.name, b, got, want)
				}
				return
			}
			if want := f.round(x); got != want {
				t.Fatalf("%s(%v = %#08x) = %#04x, want %#04x", f.name, x, math.Float32bits(x), got, want)
			}
		}
		around := func(x float32) {
			b := math.Float32bits(x)
			for d := -2; d <= 2; d++ {
				check(math.Float32frombits(uint32(int64(b) + int64(d))))
			}
		}
		for p := 0; p < int(f.infBits); p++ {
			v := f.values[p]
			around(float32(v))
			around(-float32(v))
			mid := (v + f.values[p+1]) / 2
			if m := float32(mid); float64(m) == mid { // the tie itself is a float32
				around(m)
				around(-m)
			}
		}
		// Dense sweeps: every 7th float32 pattern from 2^-30 to the normal
		// range, and around the overflow threshold.
		for b := math.Float32bits(0x1p-30); b < math.Float32bits(0x1p-12); b += 7 {
			check(math.Float32frombits(b))
		}
		over := math.Float32bits(float32(f.values[f.infBits-1]))
		for b := over - 1<<16; b < over+1<<16 && b < 0x7f800000; b++ {
			check(math.Float32frombits(b))
		}
		for range 1 << 20 {
			check(math.Float32frombits(rng.Uint32()))
		}
		for _, x := range []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), math.MaxFloat32, math.SmallestNonzeroFloat32} {
			check(x)
		}
	}
}

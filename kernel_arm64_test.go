//go:build arm64 && !purego && !noasm

package dropout

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// Kernel-level tests of the NEON set against the pure-Go reference, bit for
// bit, with guard elements around every buffer. Run on amd64 hosts with
// GOARCH=arm64 go test -exec qemu-aarch64-static.

// neonFloat is the float element types of the NEON kernels; the 16-bit
// ones (neonHalf) are tested below.
type neonFloat interface{ float32 | float64 }

const neonGuard32 = 0x7fa5a5a5 // a NaN no kernel produces from these inputs

var neonThresholds = []uint64{
	1, 2, 3, 1 << 31, 0x80000001, uint64(math.Round(0.9 * (1 << 32))),
	1<<32 - 1, 1 << 31 >> 7, 0xF0000000, 0xABCD0000, 0x12345000,
	uint64(math.Round(0.5 * (1 << 32))), uint64(math.Round(0.1 * (1 << 32))),
	uint64(math.Round(0.999 * (1 << 32))), 0xFFFFFFF0,
}

var neonSeeds = []uint64{0, 1, 0xDEADBEEFCAFEF00D, 1 << 63, ^uint64(0)}

func neonRoundUp(n int) int { return (n + groupPad - 1) &^ (groupPad - 1) }

// neonFirsts returns group indices for a call of g groups that do not cross
// a multiple of 2^32 groups: small, just below a multiple, and huge.
func neonFirsts(g int, rng *rand.Rand) []uint64 {
	below := uint64(1)<<32 - uint64(g)
	return []uint64{
		0, 1, 12345,
		below,
		7<<32 | below,
		0xFFFFFFFF00000000 | below,
		1<<63 | uint64(rng.Uint32()>>1),
		0xFFFFFFFF00000000 | 99,
	}
}

func TestNEONRegistered(t *testing.T) {
	if implementations[len(implementations)-1] != &neonKernels || neonKernels.name != "neon" {
		t.Fatalf("neon kernels not registered last: %v", Implementations())
	}
}

// neonGroupCounts are the group counts tested: every count up to 200, then a
// few larger ones around block boundaries.
func neonGroupCounts() []int {
	var gs []int
	for g := 1; g <= 200; g++ {
		gs = append(gs, g)
	}
	return append(gs, 255, 256, 257, 1000, 4099)
}

// neonOut returns out of length g and capacity roundUp(g, 16) inside a
// guarded buffer.
func neonOut(g int) (out, buf []uint32) {
	buf = make([]uint32, 3+neonRoundUp(g)+5)
	for i := range buf {
		buf[i] = 0xA5A5A5A5
	}
	return buf[3 : 3+g : 3+neonRoundUp(g)], buf
}

func neonCheckOutGuards(t *testing.T, what string, buf []uint32, g int) {
	t.Helper()
	for i, v := range buf {
		if (i < 3 || i >= 3+neonRoundUp(g)) && v != 0xA5A5A5A5 {
			t.Fatalf("%s: out guard %d overwritten: %#x", what, i, v)
		}
	}
}

func TestNEONMaskGroups(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, g := range neonGroupCounts() {
		firsts := neonFirsts(g, rng)
		for ti, thr := range neonThresholds {
			seed := neonSeeds[(g+ti)%len(neonSeeds)]
			first := firsts[(g*7+ti)%len(firsts)]
			plan := newPhiloxPlan(seed, thr)
			want := make([]uint32, g)
			maskGroupsGeneric(want, first, &plan)
			got, buf := neonOut(g)
			neonKernels.maskGroups(got, first, &plan)
			what := fmt.Sprintf("maskGroups g=%d T=%#x seed=%#x first=%#x", g, thr, seed, first)
			neonCheckOutGuards(t, what, buf, g)
			for j := range want {
				if got[j] != want[j] {
					t.Fatalf("%s: out[%d] = %#08x, want %#08x", what, j, got[j], want[j])
				}
			}
		}
	}
}

// TestNEONMaskGroupsFirsts runs every first value with every threshold.
func TestNEONMaskGroupsFirsts(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, g := range []int{1, 15, 16, 17, 33, 64} {
		for _, first := range neonFirsts(g, rng) {
			for _, thr := range neonThresholds {
				for _, seed := range neonSeeds {
					plan := newPhiloxPlan(seed, thr)
					want := make([]uint32, g)
					maskGroupsGeneric(want, first, &plan)
					got, buf := neonOut(g)
					neonKernels.maskGroups(got, first, &plan)
					what := fmt.Sprintf("maskGroups g=%d T=%#x seed=%#x first=%#x", g, thr, seed, first)
					neonCheckOutGuards(t, what, buf, g)
					for j := range want {
						if got[j] != want[j] {
							t.Fatalf("%s: out[%d] = %#08x, want %#08x", what, j, got[j], want[j])
						}
					}
				}
			}
		}
	}
}

func neonSpecials[T neonFloat]() []T {
	var z T
	switch any(z).(type) {
	case float32:
		var s []T
		for _, b := range []uint32{0x7fc00000, 0xffc00001, 0x7f800001, 0x7fbfffff, 0x7f800000, 0xff800000,
			0, 0x80000000, 1, 0x80000001, 0x007fffff, 0x00800000, 0x7f7fffff, 0xff7fffff, 0x3f800000} {
			s = append(s, T(math.Float32frombits(b)))
		}
		return s
	default:
		var s []T
		for _, b := range []uint64{0x7ff8000000000000, 0xfff8000000000001, 0x7ff0000000000001, 0x7ff0000000000000,
			0xfff0000000000000, 0, 1 << 63, 1, 1<<63 | 1, 0x000fffffffffffff, 0x0010000000000000,
			0x7fefffffffffffff, 0xffefffffffffffff, 0x3ff0000000000000} {
			s = append(s, T(math.Float64frombits(b)))
		}
		return s
	}
}

func neonBits[T neonFloat](x T) uint64 {
	switch v := any(x).(type) {
	case float32:
		return uint64(math.Float32bits(v))
	default:
		return math.Float64bits(any(x).(float64))
	}
}

func neonSentinel[T neonFloat]() T {
	var z T
	if _, ok := any(z).(float32); ok {
		return T(math.Float32frombits(neonGuard32))
	}
	return T(math.Float64frombits(0x7ff5a5a5a5a5a5a5))
}

// neonInput returns n values mixing specials, subnormals, tiny, huge and
// ordinary numbers.
func neonInput[T neonFloat](rng *rand.Rand, n int) []T {
	sp := neonSpecials[T]()
	s := make([]T, n)
	for i := range s {
		switch rng.IntN(4) {
		case 0:
			s[i] = sp[rng.IntN(len(sp))]
		case 1:
			s[i] = T(rng.NormFloat64() * math.Pow(2, float64(rng.IntN(300)-150)))
		default:
			s[i] = T(rng.NormFloat64())
		}
	}
	return s
}

// neonBuf places n values at element offset lead of a guarded buffer.
func neonBuf[T neonFloat](vals []T, lead int) (s, buf []T) {
	buf = make([]T, lead+len(vals)+7)
	for i := range buf {
		buf[i] = neonSentinel[T]()
	}
	s = buf[lead : lead+len(vals) : lead+len(vals)]
	copy(s, vals)
	return s, buf
}

func neonCheckGuards[T neonFloat](t *testing.T, what string, buf []T, lead, n int) {
	t.Helper()
	g := neonBits(neonSentinel[T]())
	for i, v := range buf {
		if (i < lead || i >= lead+n) && neonBits(v) != g {
			t.Fatalf("%s: guard %d overwritten: %#x", what, i, neonBits(v))
		}
	}
}

func neonCheckSame[T neonFloat](t *testing.T, what string, got, want []T) {
	t.Helper()
	for i := range want {
		if neonBits(got[i]) != neonBits(want[i]) {
			t.Fatalf("%s: [%d] = %#x, want %#x (src bits differ)", what, i, neonBits(got[i]), neonBits(want[i]))
		}
	}
}

func testNEONForward[T neonFloat](t *testing.T, fwd, ref func(dst, src []T, out []uint32, first uint64, p *philoxPlan, scale T)) {
	rng := rand.New(rand.NewPCG(5, 6))
	gs := []int{1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 32, 33, 47, 48, 63, 64, 65, 100, 129, 200, 257}
	for gi, g := range gs {
		firsts := neonFirsts(g, rng)
		for ti, thr := range neonThresholds {
			seed := neonSeeds[(gi+ti)%len(neonSeeds)]
			first := firsts[(gi*3+ti)%len(firsts)]
			plan := newPhiloxPlan(seed, thr)
			scale := T(float64(1<<32) / float64(thr))
			if ti%4 == 3 {
				scale = T(-1.7)
			}
			n := 32 * g
			vals := neonInput[T](rng, n)
			want := make([]T, n)
			wantOut := make([]uint32, g)
			ref(want, vals, wantOut, first, &plan, scale)
			for _, inPlace := range []bool{false, true} {
				for _, lead := range []int{0, 1, 3} {
					what := fmt.Sprintf("forward g=%d T=%#x seed=%#x first=%#x inPlace=%v lead=%d", g, thr, seed, first, inPlace, lead)
					src, sbuf := neonBuf(vals, lead)
					dst, dbuf := src, sbuf
					if !inPlace {
						dst, dbuf = neonBuf(make([]T, n), (lead+1)%4)
					}
					out, obuf := neonOut(g)
					fwd(dst, src, out, first, &plan, scale)
					neonCheckOutGuards(t, what, obuf, g)
					for j := range wantOut {
						if out[j] != wantOut[j] {
							t.Fatalf("%s: out[%d] = %#08x, want %#08x", what, j, out[j], wantOut[j])
						}
					}
					neonCheckSame(t, what, dst, want)
					if inPlace {
						neonCheckGuards(t, what, sbuf, lead, n)
					} else {
						neonCheckSame(t, what+" (src modified)", src, vals)
						neonCheckGuards(t, what+" src", sbuf, lead, n)
						neonCheckGuards(t, what+" dst", dbuf, (lead+1)%4, n)
					}
				}
			}
		}
	}
}

func TestNEONForward32(t *testing.T) {
	testNEONForward(t, neonKernels.forward32, genericKernels.forward32)
}

func TestNEONForward64(t *testing.T) {
	testNEONForward(t, neonKernels.forward64, genericKernels.forward64)
}

func testNEONApply[T neonFloat](t *testing.T, apply, ref func(dst, src []T, mask []uint64, scale T)) {
	rng := rand.New(rand.NewPCG(7, 8))
	for words := 1; words <= 40; words++ {
		mask := make([]uint64, words)
		for i := range mask {
			switch rng.IntN(5) {
			case 0:
				mask[i] = 0
			case 1:
				mask[i] = ^uint64(0)
			case 2:
				mask[i] = 1<<63 | 1
			default:
				mask[i] = rng.Uint64()
			}
		}
		n := 64 * words
		vals := neonInput[T](rng, n)
		for _, scale := range []T{T(1.25), T(float64(1<<32) / float64(0x80000001)), T(-3), T(math.Inf(1))} {
			want := make([]T, n)
			ref(want, vals, mask, scale)
			for _, inPlace := range []bool{false, true} {
				for _, lead := range []int{0, 1, 2} {
					what := fmt.Sprintf("apply words=%d scale=%v inPlace=%v lead=%d", words, scale, inPlace, lead)
					src, sbuf := neonBuf(vals, lead)
					dst, dbuf := src, sbuf
					if !inPlace {
						dst, dbuf = neonBuf(make([]T, n), 2-lead)
					}
					apply(dst, src, mask, scale)
					neonCheckSame(t, what, dst, want)
					if inPlace {
						neonCheckGuards(t, what, sbuf, lead, n)
					} else {
						neonCheckSame(t, what+" (src modified)", src, vals)
						neonCheckGuards(t, what+" src", sbuf, lead, n)
						neonCheckGuards(t, what+" dst", dbuf, 2-lead, n)
					}
				}
			}
		}
	}
}

func TestNEONApply32(t *testing.T) { testNEONApply(t, neonKernels.apply32, genericKernels.apply32) }
func TestNEONApply64(t *testing.T) { testNEONApply(t, neonKernels.apply64, genericKernels.apply64) }

// neonAffineParams returns (a, b, d) triples for the affine kernels: alpha
// dropout's own values, signs, signed zeros, subnormals, infinities that
// make Inf-Inf NaNs, overflow, and a NaN d whose payload must be kept.
func neonAffineParams[T neonFloat]() [][3]T {
	var z T
	_, is32 := any(z).(float32)
	sub, nan := T(math.Float64frombits(1)), T(math.Float64frombits(0x7ff4000000000123))
	big := T(math.Float64frombits(0x7fefffffffffffff))
	if is32 {
		sub, nan = T(math.Float32frombits(1)), T(math.Float32frombits(0x7fa00123))
		big = T(math.Float32frombits(0x7f7fffff))
	}
	negZero := T(math.Copysign(0, -1))
	inf := T(math.Inf(1))
	// alpha dropout with p = 0.1: a = (q + alpha'^2 q p)^-1/2, b = -a alpha' p,
	// d = a alpha' + b, alpha' = -1.7580993408473766.
	const alphaP = -1.7580993408473766
	aa := 1 / math.Sqrt(0.9+alphaP*alphaP*0.9*0.1)
	bb := -aa * alphaP * 0.1
	return [][3]T{
		{T(aa), T(bb), T(aa*alphaP + bb)},
		{T(-3), 0, 0},
		{T(1.5), negZero, negZero},
		{negZero, negZero, T(-2.5)},
		{0, T(-0.75), sub},
		{sub, sub, -sub},
		{T(1e-30), -sub, T(7)},
		{inf, -inf, nan},
		{T(-2), inf, T(-1)},
		{big, big, -big},
		{T(0.5), T(1e30), -inf},
		{T(1), 0, nan},
		{T(2), nan, 0},
		{T(-2), -nan, T(3)},
	}
}

func neonAffineMask(rng *rand.Rand, words int) []uint64 {
	mask := make([]uint64, words)
	for i := range mask {
		switch rng.IntN(7) {
		case 0:
			mask[i] = 0
		case 1:
			mask[i] = ^uint64(0)
		case 2:
			mask[i] = 1<<63 | 1
		case 3:
			mask[i] = 0x5555555555555555 << (rng.Uint64() & 1)
		case 4:
			mask[i] = 1 << rng.IntN(64)
		default:
			mask[i] = rng.Uint64()
		}
	}
	return mask
}

// checkNEONAffine runs affine on words mask words with every (a, b, d) in
// params, in place and not, at several unaligned starts, against
// the pure-Go kernel ref bit for bit, checking the guard elements.
func checkNEONAffine[T neonFloat](t *testing.T, rng *rand.Rand, affine, ref func(dst, src []T, mask []uint64, a, b, d T), words int, params [][3]T) {
	t.Helper()
	mask := neonAffineMask(rng, words)
	n := 64 * words
	vals := neonInput[T](rng, n)
	for _, abd := range params {
		a, b, d := abd[0], abd[1], abd[2]
		want := make([]T, n)
		ref(want, vals, mask, a, b, d)
		for _, inPlace := range []bool{false, true} {
			for _, lead := range []int{0, 1, 3} {
				what := fmt.Sprintf("affine words=%d a=%v b=%v d=%v (%#x) inPlace=%v lead=%d",
					words, a, b, d, neonBits(d), inPlace, lead)
				src, sbuf := neonBuf(vals, lead)
				dst, dbuf := src, sbuf
				dlead := lead
				if !inPlace {
					dlead = (lead + 2) % 4
					dst, dbuf = neonBuf(make([]T, n), dlead)
				}
				affine(dst, src, mask, a, b, d)
				neonCheckSame(t, what, dst, want)
				neonCheckGuards(t, what+" dst", dbuf, dlead, n)
				if !inPlace {
					neonCheckSame(t, what+" (src modified)", src, vals)
					neonCheckGuards(t, what+" src", sbuf, lead, n)
				}
			}
		}
	}
}

// testNEONAffine covers word counts 1..100 and a few larger ones with two
// parameter triples each (rotating through all), and a few counts with
// every triple.
func testNEONAffine[T neonFloat](t *testing.T, affine, ref func(dst, src []T, mask []uint64, a, b, d T)) {
	rng := rand.New(rand.NewPCG(9, 10))
	params := neonAffineParams[T]()
	words := []int{}
	for w := 1; w <= 100; w++ {
		words = append(words, w)
	}
	words = append(words, 127, 128, 257, 1000)
	for i, w := range words {
		k := (2 * i) % len(params)
		checkNEONAffine(t, rng, affine, ref, w, params[k:k+2])
	}
	for _, w := range []int{1, 2, 3, 17} {
		checkNEONAffine(t, rng, affine, ref, w, params)
	}
}

func TestNEONAffine32(t *testing.T) {
	testNEONAffine(t, neonKernels.affine32, genericKernels.affine32)
}

func TestNEONAffine64(t *testing.T) {
	testNEONAffine(t, neonKernels.affine64, genericKernels.affine64)
}

// TestNEONAffineNoFMA checks the two roundings directly: with a = 1+2^-m
// and b = -x*(1+2^-m) rounded, a fused multiply-add would return the
// rounding error of x*a, not the zero the separate FMUL and FADD give.
func TestNEONAffineNoFMA(t *testing.T) {
	src32 := make([]float32, 64)
	dst32 := make([]float32, 64)
	src64 := make([]float64, 64)
	dst64 := make([]float64, 64)
	for i := range src32 {
		src32[i] = 1 + float32(i+1)*0x1p-20
		src64[i] = 1 + float64(i+1)*0x1p-40
	}
	a32, a64 := float32(1+0x1p-12), 1+0x1p-30
	b32, b64 := -(src32[5] * a32), -(src64[5] * a64)
	neonKernels.affine32(dst32, src32, []uint64{1 << 5}, a32, b32, 9)
	neonKernels.affine64(dst64, src64, []uint64{1 << 5}, a64, b64, 9)
	if dst32[5] != 0 || dst64[5] != 0 {
		t.Fatalf("affine fused the multiply-add: got %g, %g, want 0, 0", dst32[5], dst64[5])
	}
	if dst32[4] != 9 || dst64[6] != 9 {
		t.Fatalf("affine did not select d: got %g, %g, want 9", dst32[4], dst64[6])
	}
}

func TestNEONEmpty(t *testing.T) {
	plan := newPhiloxPlan(1, 1<<31)
	neonKernels.maskGroups(nil, 0, &plan)
	neonKernels.forward32(nil, nil, nil, 0, &plan, 2)
	neonKernels.forward64(nil, nil, nil, 0, &plan, 2)
	neonKernels.apply32(nil, nil, nil, 2)
	neonKernels.apply64(nil, nil, nil, 2)
	neonKernels.affine32(nil, nil, nil, 2, 1, 0)
	neonKernels.affine64(nil, nil, nil, 2, 1, 0)
	neonKernels.forwardBF16(nil, nil, nil, 0, &plan, 2)
	neonKernels.forwardF16(nil, nil, nil, 0, &plan, 2)
	neonKernels.applyBF16(nil, nil, nil, 2)
	neonKernels.applyF16(nil, nil, nil, 2)
	neonKernels.affineBF16(nil, nil, nil, 2, 1, 0)
	neonKernels.affineF16(nil, nil, nil, 2, 1, 0)
}

// The 16-bit kernels, bfloat16 and float16, bit for bit against the pure-Go
// ones (which are checked against the definition in half_test.go and the
// package suite).

type neonHalf interface{ BFloat16 | Float16 }

const neonGuard16 = 0x7fa5 // a signalling NaN in both formats: no kernel produces one

func neonIsBF16[T neonHalf]() bool {
	var z T
	_, ok := any(z).(BFloat16)
	return ok
}

// neonHalfSpecials returns the edge-case patterns of T: NaNs (quiet and
// signalling, both signs, with payloads), infinities, signed zeros,
// subnormals, the normal boundary, the largest finite values and 1.
func neonHalfSpecials[T neonHalf]() []T {
	pats := []uint16{0x7e00, 0xfe01, 0x7c01, 0xfc3f, 0x7dff, 0x7fff, 0xffff, 0x7c00, 0xfc00,
		0, 0x8000, 1, 0x8001, 0x0200, 0x03ff, 0x83ff, 0x0400, 0x8400, 0x7bff, 0xfbff, 0x3c00, 0x3c01, 0x7800}
	if neonIsBF16[T]() {
		pats = []uint16{0x7fc0, 0xffc1, 0x7f81, 0xff81, 0x7fbf, 0x7fff, 0xffff, 0x7f80, 0xff80,
			0, 0x8000, 1, 0x8001, 0x0040, 0x007f, 0x807f, 0x0080, 0x8080, 0x7f7f, 0xff7f, 0x3f80, 0x3f81, 0x7f00}
	}
	s := make([]T, len(pats))
	for i, p := range pats {
		s[i] = T(p)
	}
	return s
}

// neonHalfInput returns n values: specials, random bit patterns, and
// ordinary magnitudes (whose products with 1.5 or 1.1111112 give ties and
// near-ties).
func neonHalfInput[T neonHalf](rng *rand.Rand, n int) []T {
	sp := neonHalfSpecials[T]()
	s := make([]T, n)
	for i := range s {
		switch rng.IntN(4) {
		case 0:
			s[i] = sp[rng.IntN(len(sp))]
		case 1:
			s[i] = T(rng.Uint32())
		default:
			f := float32(rng.NormFloat64())
			if neonIsBF16[T]() {
				s[i] = T(BFloat16FromFloat32(f))
			} else {
				s[i] = T(Float16FromFloat32(f))
			}
		}
	}
	return s
}

// neonHalfScales are the multipliers tested: 1, Scale-like values, tie
// makers, subnormal results (2^-30 and below), overflow, signs, zero,
// infinity, and NaNs (the bfloat16 wrappers' fallback), including NaNs
// whose low payload half would carry in a rounding.
var neonHalfScales = []float32{
	1, 1.1111112, 0x1p-30, 1.5, -3, float32(1 << 32 / float64(0x80000001)), 0x1p-20, 0x1p-10,
	0x1p+20, 65504, -0.75, 0, float32(math.Copysign(0, -1)), float32(math.Inf(1)),
	float32(math.Inf(-1)), math.Float32frombits(0x7fc00000), math.Float32frombits(0xff812345),
	math.Float32frombits(0x7f800001), 10, 1.0000001,
	math.Float32frombits(0x7fffffff), math.Float32frombits(0xffbfffff), math.Float32frombits(0x7fc0ffff),
}

func neonHalfBuf[T neonHalf](vals []T, lead int) (s, buf []T) {
	buf = make([]T, lead+len(vals)+9)
	for i := range buf {
		buf[i] = neonGuard16
	}
	s = buf[lead : lead+len(vals) : lead+len(vals)]
	copy(s, vals)
	return s, buf
}

func neonHalfGuards[T neonHalf](t *testing.T, what string, buf []T, lead, n int) {
	t.Helper()
	for i, v := range buf {
		if (i < lead || i >= lead+n) && v != neonGuard16 {
			t.Fatalf("%s: guard %d overwritten: %#04x", what, i, uint16(v))
		}
	}
}

func neonHalfSame[T neonHalf](t *testing.T, what string, got, want, src []T) {
	t.Helper()
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%s: [%d] = %#04x, want %#04x (src %#04x)", what, i, uint16(got[i]), uint16(want[i]), uint16(src[i]))
		}
	}
}

func neonHalfGroupCounts() []int {
	var gs []int
	for g := 1; g <= 100; g++ {
		gs = append(gs, g)
	}
	return append(gs, 127, 128, 129, 255, 256, 257, 1000)
}

func testNEONForwardHalf[T neonHalf](t *testing.T, fwd, ref func(dst, src []T, out []uint32, first uint64, p *philoxPlan, scale float32)) {
	rng := rand.New(rand.NewPCG(11, 12))
	for gi, g := range neonHalfGroupCounts() {
		firsts := neonFirsts(g, rng)
		ti := gi % len(neonThresholds)
		thr := neonThresholds[ti]
		seed := neonSeeds[gi%len(neonSeeds)]
		first := firsts[(gi*3+ti)%len(firsts)]
		plan := newPhiloxPlan(seed, thr)
		scale := float32(float64(1<<32) / float64(thr))
		if gi%2 == 1 {
			scale = neonHalfScales[(gi/2)%len(neonHalfScales)]
		}
		n := 32 * g
		vals := neonHalfInput[T](rng, n)
		want := make([]T, n)
		wantOut := make([]uint32, g)
		ref(want, vals, wantOut, first, &plan, scale)
		for _, inPlace := range []bool{false, true} {
			for _, lead := range []int{0, 1, 3} {
				what := fmt.Sprintf("forward g=%d T=%#x seed=%#x first=%#x scale=%v inPlace=%v lead=%d", g, thr, seed, first, scale, inPlace, lead)
				src, sbuf := neonHalfBuf(vals, lead)
				dst, dbuf, dlead := src, sbuf, lead
				if !inPlace {
					dlead = (lead + 1) % 4
					dst, dbuf = neonHalfBuf(make([]T, n), dlead)
				}
				out, obuf := neonOut(g)
				fwd(dst, src, out, first, &plan, scale)
				neonCheckOutGuards(t, what, obuf, g)
				for j := range wantOut {
					if out[j] != wantOut[j] {
						t.Fatalf("%s: out[%d] = %#08x, want %#08x", what, j, out[j], wantOut[j])
					}
				}
				neonHalfSame(t, what, dst, want, vals)
				neonHalfGuards(t, what+" dst", dbuf, dlead, n)
				if !inPlace {
					neonHalfSame(t, what+" (src modified)", src, vals, vals)
					neonHalfGuards(t, what+" src", sbuf, lead, n)
				}
			}
		}
	}
}

func TestNEONForwardBF16(t *testing.T) {
	testNEONForwardHalf(t, neonKernels.forwardBF16, genericKernels.forwardBF16)
}

func TestNEONForwardF16(t *testing.T) {
	testNEONForwardHalf(t, neonKernels.forwardF16, genericKernels.forwardF16)
}

// neonHalfParams are (a, b, d) triples: alpha dropout's, identity, signed
// zeros, subnormal results, Inf-Inf, overflow, tie makers, a NaN d, and NaN
// a or b (the bfloat16 wrappers' fallback).
func neonHalfParams[T neonHalf]() []struct {
	a, b float32
	d    T
} {
	const alphaP = -1.7580993408473766
	aa := 1 / math.Sqrt(0.9+alphaP*alphaP*0.9*0.1)
	bb := -aa * alphaP * 0.1
	negZero := float32(math.Copysign(0, -1))
	inf := float32(math.Inf(1))
	big := math.Float32frombits(0x7f7fffff)
	nan := math.Float32frombits(0x7fa00123)
	dNaN, dOne := T(0x7e01), T(0x3c00)
	if neonIsBF16[T]() {
		dNaN, dOne = T(0x7fc1), T(0x3f80)
	}
	return []struct {
		a, b float32
		d    T
	}{
		{float32(aa), float32(bb), T(0xbe00)},
		{1, 0, 0},
		{1.1111112, negZero, 0x8000},
		{-3, 0.5, dNaN},
		{0x1p-30, 0, 1},
		{0x1p-30, 0x1p-31, 0x8001},
		{negZero, negZero, dOne},
		{1.5, 0x1p-9, 0x7bff},
		{inf, -inf, 0x7c00},
		{-2, inf, 0xffff},
		{big, big, 0x7f80},
		{0.5, 1e30, 0xfc00},
		{65504, -65504, 0x0400},
		{1, 0x1p-14, 0x0080},
		{nan, 1, 0x1234},
		{2, nan, 0},
		{-2, -nan, 3},
		// NaNs whose low payload half would carry in a rounding.
		{1, math.Float32frombits(0x7fffffff), 5},
		{math.Float32frombits(0xffbfffff), -2, 0},
	}
}

func checkNEONAffineHalf[T neonHalf](t *testing.T, rng *rand.Rand, affine, ref func(dst, src []T, mask []uint64, a, b float32, d T), words int, params []struct {
	a, b float32
	d    T
}) {
	t.Helper()
	mask := neonAffineMask(rng, words)
	n := 64 * words
	vals := neonHalfInput[T](rng, n)
	for _, p := range params {
		want := make([]T, n)
		ref(want, vals, mask, p.a, p.b, p.d)
		for _, inPlace := range []bool{false, true} {
			for _, lead := range []int{0, 1, 3} {
				what := fmt.Sprintf("affine words=%d a=%v b=%v d=%#04x inPlace=%v lead=%d", words, p.a, p.b, uint16(p.d), inPlace, lead)
				src, sbuf := neonHalfBuf(vals, lead)
				dst, dbuf, dlead := src, sbuf, lead
				if !inPlace {
					dlead = (lead + 2) % 4
					dst, dbuf = neonHalfBuf(make([]T, n), dlead)
				}
				affine(dst, src, mask, p.a, p.b, p.d)
				neonHalfSame(t, what, dst, want, vals)
				neonHalfGuards(t, what+" dst", dbuf, dlead, n)
				if !inPlace {
					neonHalfSame(t, what+" (src modified)", src, vals, vals)
					neonHalfGuards(t, what+" src", sbuf, lead, n)
				}
			}
		}
	}
}

func testNEONAffineHalf[T neonHalf](t *testing.T, affine, ref func(dst, src []T, mask []uint64, a, b float32, d T)) {
	rng := rand.New(rand.NewPCG(13, 14))
	params := neonHalfParams[T]()
	for i, w := range neonHalfGroupCounts() {
		k := (2 * i) % (len(params) - 1)
		checkNEONAffineHalf(t, rng, affine, ref, w, params[k:k+2])
	}
	for _, w := range []int{1, 2, 3, 17} {
		checkNEONAffineHalf(t, rng, affine, ref, w, params)
	}
}

func TestNEONAffineBF16(t *testing.T) {
	testNEONAffineHalf(t, neonKernels.affineBF16, genericKernels.affineBF16)
}

func TestNEONAffineF16(t *testing.T) {
	testNEONAffineHalf(t, neonKernels.affineF16, genericKernels.affineF16)
}

func testNEONApplyHalf[T neonHalf](t *testing.T, apply, ref func(dst, src []T, mask []uint64, scale float32)) {
	rng := rand.New(rand.NewPCG(15, 16))
	run := func(words int, scales []float32) {
		mask := neonAffineMask(rng, words)
		n := 64 * words
		vals := neonHalfInput[T](rng, n)
		for _, scale := range scales {
			want := make([]T, n)
			ref(want, vals, mask, scale)
			for _, inPlace := range []bool{false, true} {
				for _, lead := range []int{0, 1, 2} {
					what := fmt.Sprintf("apply words=%d scale=%v (%#x) inPlace=%v lead=%d", words, scale, math.Float32bits(scale), inPlace, lead)
					src, sbuf := neonHalfBuf(vals, lead)
					dst, dbuf, dlead := src, sbuf, lead
					if !inPlace {
						dlead = 2 - lead
						dst, dbuf = neonHalfBuf(make([]T, n), dlead)
					}
					apply(dst, src, mask, scale)
					neonHalfSame(t, what, dst, want, vals)
					neonHalfGuards(t, what+" dst", dbuf, dlead, n)
					if !inPlace {
						neonHalfSame(t, what+" (src modified)", src, vals, vals)
						neonHalfGuards(t, what+" src", sbuf, lead, n)
					}
				}
			}
		}
	}
	for i, w := range neonHalfGroupCounts() {
		k := (2 * i) % (len(neonHalfScales) - 1)
		run(w, neonHalfScales[k:k+2])
	}
	for _, w := range []int{1, 2, 5} {
		run(w, neonHalfScales)
	}
}

func TestNEONApplyBF16(t *testing.T) {
	testNEONApplyHalf(t, neonKernels.applyBF16, genericKernels.applyBF16)
}

func TestNEONApplyF16(t *testing.T) {
	testNEONApplyHalf(t, neonKernels.applyF16, genericKernels.applyF16)
}

// TestNEONHalfAllPatterns runs every 16-bit pattern through apply and
// affine with several multipliers, all kept and under a random mask.
func TestNEONHalfAllPatterns(t *testing.T) {
	t.Run("bfloat16", func(t *testing.T) {
		testNEONHalfAllPatterns(t, neonKernels.applyBF16, genericKernels.applyBF16, neonKernels.affineBF16, genericKernels.affineBF16)
	})
	t.Run("float16", func(t *testing.T) {
		testNEONHalfAllPatterns(t, neonKernels.applyF16, genericKernels.applyF16, neonKernels.affineF16, genericKernels.affineF16)
	})
}

func testNEONHalfAllPatterns[T neonHalf](t *testing.T, apply, applyRef func(dst, src []T, mask []uint64, scale float32),
	affine, affineRef func(dst, src []T, mask []uint64, a, b float32, d T)) {
	rng := rand.New(rand.NewPCG(17, 18))
	src := make([]T, 1<<16)
	for i := range src {
		src[i] = T(i)
	}
	ones := make([]uint64, len(src)/64)
	random := make([]uint64, len(ones))
	for i := range ones {
		ones[i] = ^uint64(0)
		random[i] = rng.Uint64()
	}
	got, want := make([]T, len(src)), make([]T, len(src))
	for _, mask := range [][]uint64{ones, random} {
		for _, scale := range []float32{1, 1.1111112, 1.5, 0x1p-30, -0.75, 0x1p+20, 3} {
			apply(got, src, mask, scale)
			applyRef(want, src, mask, scale)
			neonHalfSame(t, fmt.Sprintf("apply scale=%v", scale), got, want, src)
		}
		for _, ab := range [][2]float32{{1, 0}, {1.1111112, -0.5}, {1.5, 0x1p-9}, {0x1p-20, 0x1p-24}} {
			affine(got, src, mask, ab[0], ab[1], 0x1234)
			affineRef(want, src, mask, ab[0], ab[1], 0x1234)
			neonHalfSame(t, fmt.Sprintf("affine a=%v b=%v", ab[0], ab[1]), got, want, src)
		}
	}
	// With scale 1 every non-NaN pattern comes back unchanged, NaNs quieted.
	apply(got, src, ones, 1)
	for i, v := range got {
		want := T(i)
		if isNaN16(T(i)) {
			want = T(i) | T(quietBit16[T]())
		}
		if v != want {
			t.Fatalf("apply scale 1: %#04x -> %#04x, want %#04x", i, uint16(v), uint16(want))
		}
	}
}

func quietBit16[T neonHalf]() uint16 {
	if neonIsBF16[T]() {
		return 0x0040
	}
	return 0x0200
}

func isNaN16[T neonHalf](x T) bool {
	if neonIsBF16[T]() {
		return uint16(x)&0x7fff > 0x7f80
	}
	return uint16(x)&0x7fff > 0x7c00
}

//go:build amd64 && !purego && !noasm

package dropout

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"testing"
	"unsafe"

	"github.com/klauspost/cpuid/v2"
)

// Kernel-level tests of the amd64 SIMD kernels: every kernel set of
// implementations is compared bit for bit with genericKernels, including the
// write-padding contract of the group kernels and guard elements around every
// buffer.

// simdFloat is the 32- and 64-bit element types of the amd64 SIMD kernels;
// the 16-bit ones (half16) are tested further below.
type simdFloat interface{ float32 | float64 }

func amd64SIMDKernels(t testing.TB) []*kernels {
	var ks []*kernels
	for _, k := range implementations {
		if k.name != "generic" {
			ks = append(ks, k)
		}
	}
	if len(ks) == 0 {
		t.Skip("no SIMD kernels on this CPU")
	}
	return append(ks, archTestKernels...)
}

// The AVX-512 variants the dispatch does not pick on this CPU: without
// increment tables (CPUs without AVX512-FP16), and with them on every call
// whatever its size (the tests' calls are mostly smaller than incsMinElems).
func init() {
	if !cpuid.CPU.Supports(cpuid.AVX512VBMI, cpuid.AVX512FP16) {
		return
	}
	noIncs, incsAlways := avx512Set(false, 0), avx512Set(true, 0)
	noIncs.name, noIncs.stream.name = "avx512-noincs", "avx512-noincs"
	incsAlways.name, incsAlways.stream.name = "avx512-incs", "avx512-incs"
	archTestKernels = append(archTestKernels, &noIncs, &incsAlways)
}

// amd64Thresholds are the T values tested: edge values, values whose low bits
// are zero (fewer than 8 Philox calls: 1, 2 and 3 calls end the kernels' loops
// at the whole-block calls or in the leftover), and random ones.
func amd64Thresholds(rng *rand.Rand) []uint64 {
	ts := []uint64{ // calls with g > 64 take at least the first 8
		1, 1 << 31, 0x80000001, uint64(math.Round(0.9 * (1 << 32))), 1<<32 - 1,
		0xE7000000, 0xE6600000, 0xFFFF0000, 2, 3,
		0xC0000000, 0xE0000000, 0x10000000, 0x12340000, 0x00000100, 0x0F000000,
	}
	for i := 0; i < 4; i++ {
		ts = append(ts, 1+rng.Uint64N(1<<20))       // small
		ts = append(ts, 1+rng.Uint64N(1<<32-1))     // anything
		ts = append(ts, (1+rng.Uint64N(1<<16))<<16) // low half zero
	}
	return ts
}

// amd64Firsts returns group indices for a call of g groups: small, random, just
// below a multiple of 2^32 (not crossing it) and near 2^59.
func amd64Firsts(rng *rand.Rand, g int) []uint64 {
	m := uint64(rng.Uint32N(1<<27)+1) << 32
	return []uint64{
		0,
		uint64(rng.Uint32N(1 << 20)),
		1<<32 - uint64(g),
		m - uint64(g) - uint64(rng.IntN(3)),
		1<<59 - uint64(g) - uint64(rng.IntN(1000)),
		1<<59 + uint64(rng.Uint32N(1<<31)),
	}
}

func amd64GroupCounts(short bool) []int {
	var gs []int
	for g := 1; g <= 200; g++ {
		if short && g > 40 && g%7 != 0 {
			continue
		}
		gs = append(gs, g)
	}
	return append(gs, 255, 256, 257, 511, 1000, 4099)
}

func roundUp16(n int) int { return (n + 15) &^ 15 }

const amd64GuardWord = 0xDEADBEEF

// guardedOut returns out (len g, cap roundUp16(g)) inside a buffer with guard
// words before and after the capacity.
func guardedOut(g int) (out, buf []uint32) {
	buf = make([]uint32, 3+roundUp16(g)+5)
	for i := range buf {
		buf[i] = amd64GuardWord
	}
	return buf[3 : 3+g : 3+roundUp16(g)], buf
}

func checkOutGuards(t *testing.T, what string, buf []uint32, g int) {
	t.Helper()
	for i, w := range buf {
		if (i < 3 || i >= 3+roundUp16(g)) && w != amd64GuardWord {
			t.Fatalf("%s: guard word %d of out overwritten: %#x", what, i, w)
		}
	}
}

func TestAMD64MaskGroups(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, k := range amd64SIMDKernels(t) {
		for _, g := range amd64GroupCounts(testing.Short()) {
			for _, first := range amd64Firsts(rng, g) {
				ts := amd64Thresholds(rng)
				if g > 64 {
					ts = ts[:8+rng.IntN(len(ts)-8)]
				}
				for _, tv := range ts {
					seed := rng.Uint64()
					p := newPhiloxPlan(seed, tv)
					want := make([]uint32, g)
					maskGroupsGeneric(want, first, &p)
					out, buf := guardedOut(g)
					k.maskGroups(out, first, &p)
					what := fmt.Sprintf("%s maskGroups g=%d first=%#x seed=%#x T=%#x", k.name, g, first, seed, tv)
					for j := range want {
						if out[j] != want[j] {
							t.Fatalf("%s: out[%d] = %#08x, want %#08x", what, j, out[j], want[j])
						}
					}
					checkOutGuards(t, what, buf, g)
				}
			}
		}
	}
}

// amd64Floats returns n test values: specials (NaN payloads, ±Inf, ±0,
// subnormals, extremes) mixed with random values.
func amd64Floats[T simdFloat](rng *rand.Rand, n int) []T {
	var sp []T
	var zero T
	switch any(zero).(type) {
	case float32:
		for _, b := range []uint32{0x7FC00000, 0x7F800001, 0xFFC12345, 0x7FBFFFFF, 0x7F800000, 0xFF800000,
			0, 0x80000000, 1, 0x80000001, 0x007FFFFF, 0x807FFFFF, 0x7F7FFFFF, 0xFF7FFFFF, 0x00800000} {
			sp = append(sp, T(math.Float32frombits(b)))
		}
	case float64:
		for _, b := range []uint64{0x7FF8000000000000, 0x7FF0000000000001, 0xFFF8123456789ABC, 0x7FF7FFFFFFFFFFFF,
			0x7FF0000000000000, 0xFFF0000000000000, 0, 1 << 63, 1, 1<<63 | 1, 0x000FFFFFFFFFFFFF,
			0x7FEFFFFFFFFFFFFF, 0xFFEFFFFFFFFFFFFF, 0x0010000000000000} {
			sp = append(sp, T(math.Float64frombits(b)))
		}
	}
	s := make([]T, n)
	for i := range s {
		if rng.IntN(4) == 0 {
			s[i] = sp[rng.IntN(len(sp))]
		} else {
			s[i] = T(rng.NormFloat64() * math.Exp2(float64(rng.IntN(40)-20)))
		}
	}
	return s
}

// floatBits returns the IEEE bits of x, for exact comparison.
func floatBits[T simdFloat](x T) uint64 {
	switch v := any(x).(type) {
	case float32:
		return uint64(math.Float32bits(v))
	case float64:
		return math.Float64bits(v)
	}
	panic("unreachable")
}

const amd64Lead, amd64Trail = 5, 7

// guardedFloats places a copy of src at element offset lead in a buffer with
// guard values around it.
func guardedFloats[T simdFloat](src []T, lead int) (s, buf []T) {
	buf = make([]T, lead+len(src)+amd64Trail)
	for i := range buf {
		buf[i] = T(-12345.25)
	}
	s = buf[lead : lead+len(src) : lead+len(src)]
	copy(s, src)
	return s, buf
}

func checkFloatGuards[T simdFloat](t *testing.T, what string, buf []T, lead, n int) {
	t.Helper()
	for i, v := range buf {
		if (i < lead || i >= lead+n) && v != T(-12345.25) {
			t.Fatalf("%s: guard element %d (data at %d..%d) overwritten: %v", what, i, lead, lead+n, v)
		}
	}
}

// checkFloatBuffers checks the guards around a kernel's dst (placed after
// amd64Lead more guards unless the call ran in place, dst = src) and, for a
// call not in place, the guards around src and that src is unchanged.
func checkFloatBuffers[T simdFloat](t *testing.T, what string, inPlace bool, dbuf, sbuf, s, src []T, lead int) {
	t.Helper()
	n := len(src)
	if inPlace {
		checkFloatGuards(t, what, dbuf, lead, n)
		return
	}
	checkFloatGuards(t, what, dbuf, amd64Lead+lead, n)
	checkFloatGuards(t, what+" (src)", sbuf, lead, n)
	checkFloatsEqual(t, what+" (src unchanged)", s, src)
}

func checkFloatsEqual[T simdFloat](t *testing.T, what string, got, want []T) {
	t.Helper()
	for i := range want {
		if floatBits(got[i]) != floatBits(want[i]) {
			t.Fatalf("%s: element %d = %v (%#x), want %v (%#x)", what, i, got[i], floatBits(got[i]), want[i], floatBits(want[i]))
		}
	}
}

func testForwardKernel[T simdFloat](t *testing.T, name string, fwd, ref func(dst, src []T, out []uint32, first uint64, p *philoxPlan, scale T)) {
	rng := rand.New(rand.NewPCG(3, 4))
	gs := amd64GroupCounts(true)
	for _, g := range gs {
		n := 32 * g
		for _, first := range amd64Firsts(rng, g) {
			ts := amd64Thresholds(rng)
			tv := ts[rng.IntN(len(ts))]
			seed := rng.Uint64()
			p := newPhiloxPlan(seed, tv)
			scale := T(float64(1<<32) / float64(tv))
			src := amd64Floats[T](rng, n)
			wantOut := make([]uint32, g)
			wantDst := make([]T, n)
			ref(wantDst, src, wantOut, first, &p, scale)
			for _, lead := range []int{0, 1, 2, 3} {
				for _, inPlace := range []bool{false, true} {
					what := fmt.Sprintf("%s g=%d first=%#x seed=%#x T=%#x lead=%d inPlace=%v", name, g, first, seed, tv, lead, inPlace)
					s, sbuf := guardedFloats(src, lead)
					d, dbuf := s, sbuf
					if !inPlace {
						d, dbuf = guardedFloats(make([]T, n), amd64Lead+lead)
					}
					out, obuf := guardedOut(g)
					fwd(d, s, out, first, &p, scale)
					for j := range wantOut {
						if out[j] != wantOut[j] {
							t.Fatalf("%s: out[%d] = %#08x, want %#08x", what, j, out[j], wantOut[j])
						}
					}
					checkOutGuards(t, what, obuf, g)
					checkFloatsEqual(t, what, d, wantDst)
					checkFloatBuffers(t, what, inPlace, dbuf, sbuf, s, src, lead)
				}
			}
		}
	}
}

func TestAMD64Forward(t *testing.T) {
	for _, k := range amd64SIMDKernels(t) {
		t.Run(k.name+"/float32", func(t *testing.T) {
			testForwardKernel(t, k.name+" forward32", k.forward32, genericKernels.forward32)
		})
		t.Run(k.name+"/float64", func(t *testing.T) {
			testForwardKernel(t, k.name+" forward64", k.forward64, genericKernels.forward64)
		})
	}
}

// aligned64 returns n elements starting on a 64-byte boundary.
func aligned64[T simdFloat](n int) []T {
	buf := make([]T, n+16)
	i := 0
	for uintptr(unsafe.Pointer(&buf[i]))%64 != 0 {
		i++
	}
	return buf[i : i+n : i+n]
}

// TestAMD64NonTemporal checks each SIMD set's non-temporal float32 and
// float64 kernels bit for bit: through the generic harness (mostly unaligned
// dst, so mostly the fallback, and in place) and with 64-byte aligned dst
// (the non-temporal path). The 16-bit ones run in TestStreamingKernels.
func TestAMD64NonTemporal(t *testing.T) {
	for _, k := range amd64SIMDKernels(t) {
		s := k.stream
		if s == nil {
			t.Fatalf("%s has no streaming kernels", k.name)
		}
		t.Run(k.name+"/float32", func(t *testing.T) {
			testNonTemporal(t, k.name+" float32", s.forward32, genericKernels.forward32, s.apply32, genericKernels.apply32)
		})
		t.Run(k.name+"/float64", func(t *testing.T) {
			testNonTemporal(t, k.name+" float64", s.forward64, genericKernels.forward64, s.apply64, genericKernels.apply64)
		})
	}
}

func testNonTemporal[T simdFloat](t *testing.T, name string,
	fwd, ref func(dst, src []T, out []uint32, first uint64, p *philoxPlan, scale T),
	apply, refApply func(dst, src []T, mask []uint64, scale T)) {
	testForwardKernel(t, name+" forward stream", fwd, ref)
	testApplyKernel(t, name+" apply stream", apply, refApply)
	rng := rand.New(rand.NewPCG(7, 8))
	for _, g := range []int{1, 15, 16, 17, 31, 32, 33, 64, 127, 128, 300} {
		n := 32 * g
		src := amd64Floats[T](rng, n)
		p := newPhiloxPlan(rng.Uint64(), threshold(0.9))
		first := rng.Uint64() &^ 0xFFFF
		wantOut, wantDst := make([]uint32, g), make([]T, n)
		ref(wantDst, src, wantOut, first, &p, 1.25)
		out := make([]uint32, roundUp16(g))[:g]
		dst := aligned64[T](n)
		fwd(dst, src, out, first, &p, 1.25)
		checkFloatsEqual(t, fmt.Sprintf("%s forward stream aligned g=%d", name, g), dst, wantDst)
		for j := range out {
			if out[j] != wantOut[j] {
				t.Fatalf("%s forward stream aligned g=%d: out[%d] = %#x, want %#x", name, g, j, out[j], wantOut[j])
			}
		}
		if g%2 == 1 {
			continue
		}
		mask := make([]uint64, g/2)
		for i := range mask {
			mask[i] = rng.Uint64()
		}
		refApply(wantDst, src, mask, 3.5)
		dst = aligned64[T](n)
		apply(dst, src, mask, 3.5)
		checkFloatsEqual(t, fmt.Sprintf("%s apply stream aligned words=%d", name, g/2), dst, wantDst)
	}
}

func testApplyKernel[T simdFloat](t *testing.T, name string, apply, ref func(dst, src []T, mask []uint64, scale T)) {
	rng := rand.New(rand.NewPCG(5, 6))
	for words := 1; words <= 70; words++ {
		n := 64 * words
		mask := make([]uint64, words)
		for i := range mask {
			switch rng.IntN(4) {
			case 0:
				mask[i] = 0
			case 1:
				mask[i] = ^uint64(0)
			default:
				mask[i] = rng.Uint64()
			}
		}
		src := amd64Floats[T](rng, n)
		scale := T(1 + rng.Float64()*3)
		if words%5 == 0 {
			scale = T(math.Exp2(32)) // largest scale, overflows to Inf for big inputs
		}
		want := make([]T, n)
		ref(want, src, mask, scale)
		for _, lead := range []int{0, 1, 2, 3} {
			for _, inPlace := range []bool{false, true} {
				what := fmt.Sprintf("%s words=%d lead=%d inPlace=%v", name, words, lead, inPlace)
				s, sbuf := guardedFloats(src, lead)
				d, dbuf := s, sbuf
				if !inPlace {
					d, dbuf = guardedFloats(make([]T, n), amd64Lead+lead)
				}
				mbuf := append(append([]uint64{0x5555}, mask...), 0xAAAA)
				apply(d, s, mbuf[1:1+words:1+words], scale)
				checkFloatsEqual(t, what, d, want)
				checkFloatBuffers(t, what, inPlace, dbuf, sbuf, s, src, lead)
			}
		}
	}
}

func TestAMD64Apply(t *testing.T) {
	for _, k := range amd64SIMDKernels(t) {
		t.Run(k.name+"/float32", func(t *testing.T) {
			testApplyKernel(t, k.name+" apply32", k.apply32, genericKernels.apply32)
		})
		t.Run(k.name+"/float64", func(t *testing.T) {
			testApplyKernel(t, k.name+" apply64", k.apply64, genericKernels.apply64)
		})
	}
}

// amd64AffineParams returns (a, b, d) triples for the affine kernels: alpha
// dropout's usual values, then signed zeros, negatives, subnormals, extremes
// and infinities (the kernels must not care which operand is special).
func amd64AffineParams[T simdFloat]() [][3]T {
	var zero T
	negZero := T(math.Copysign(0, -1))
	var sub, big T
	switch any(zero).(type) {
	case float32:
		sub, big = T(math.Float32frombits(0x00012345)), T(math.MaxFloat32)
	case float64:
		maxF := math.MaxFloat64
		sub, big = T(math.Float64frombits(0x0000123456789ABC)), T(maxF)
	}
	inf := T(math.Inf(1))
	return [][3]T{
		{1.0577, 0.2077, -1.7581 * 1.0577},
		{1.0577, 0.2077, -1.5499},
		{1, 0, 0},
		{1, negZero, negZero},
		{negZero, negZero, 0},
		{0, 0, negZero},
		{-3.5, -1.25, -0.75},
		{-1, 2, 1e-3},
		{sub, sub, sub},
		{-sub, 1, -sub},
		{2.5, -sub, -sub},
		{big, -big, big},
		{-big, big, -big},
		{1 / big, sub, 0.5},
		{inf, 1, -inf},
		{-inf, inf, inf},
		{1, -inf, 7},
	}
}

// amd64AffineMask returns words of mask bits: all zero, all one, and random.
func amd64AffineMask(rng *rand.Rand, words int) []uint64 {
	mask := make([]uint64, words)
	for i := range mask {
		switch rng.IntN(4) {
		case 0:
			mask[i] = 0
		case 1:
			mask[i] = ^uint64(0)
		default:
			mask[i] = rng.Uint64()
		}
	}
	return mask
}

func testAffineKernel[T simdFloat](t *testing.T, name string, affine, ref func(dst, src []T, mask []uint64, a, b, d T)) {
	rng := rand.New(rand.NewPCG(7, 8))
	params := amd64AffineParams[T]()
	var counts []int
	for words := 1; words <= 100; words++ {
		counts = append(counts, words)
	}
	counts = append(counts, 255, 1000)
	for ci, words := range counts {
		n := 64 * words
		mask := amd64AffineMask(rng, words)
		src := amd64Floats[T](rng, n)
		// Small counts go through every parameter set; the rest take two.
		ps := params
		if words > len(params) {
			ps = [][3]T{params[ci%len(params)], params[rng.IntN(len(params))]}
		}
		for _, p := range ps {
			a, b, d := p[0], p[1], p[2]
			want := make([]T, n)
			ref(want, src, mask, a, b, d)
			for _, lead := range []int{0, 1, 2, 3} {
				for _, inPlace := range []bool{false, true} {
					what := fmt.Sprintf("%s words=%d a=%v b=%v d=%v lead=%d inPlace=%v", name, words, a, b, d, lead, inPlace)
					s, sbuf := guardedFloats(src, lead)
					dst, dbuf := s, sbuf
					if !inPlace {
						dst, dbuf = guardedFloats(make([]T, n), amd64Lead+lead)
					}
					mbuf := append(append([]uint64{0x5555}, mask...), 0xAAAA)
					affine(dst, s, mbuf[1:1+words:1+words], a, b, d)
					checkFloatsEqual(t, what, dst, want)
					checkFloatBuffers(t, what, inPlace, dbuf, sbuf, s, src, lead)
				}
			}
		}
	}
}

func TestAMD64Affine(t *testing.T) {
	for _, k := range amd64SIMDKernels(t) {
		t.Run(k.name+"/float32", func(t *testing.T) {
			testAffineKernel(t, k.name+" affine32", k.affine32, genericKernels.affine32)
		})
		t.Run(k.name+"/float64", func(t *testing.T) {
			testAffineKernel(t, k.name+" affine64", k.affine64, genericKernels.affine64)
		})
	}
}

// TestAMD64AffineNotFused checks that the kernels round the product before
// adding b: with a fused multiply-add the result would differ.
func TestAMD64AffineNotFused(t *testing.T) {
	for _, k := range amd64SIMDKernels(t) {
		// x*x = 1 + 2^-22 + 2^-46 exactly for float32: rounding the product
		// drops 2^-46, so x*x - 1 = 2^-22, while an FMA gives 2^-22 + 2^-46.
		// Likewise for float64 with 2^-52.
		x32 := float32(1 + 1.0/(1<<23))
		src32 := make([]float32, 64)
		for i := range src32 {
			src32[i] = x32
		}
		dst32 := make([]float32, 64)
		k.affine32(dst32, src32, []uint64{^uint64(0)}, x32, -1, 0)
		for i, v := range dst32 {
			if v != 1.0/(1<<22) {
				t.Fatalf("%s affine32: element %d = %g, want %g (unfused)", k.name, i, v, 1.0/(1<<22))
			}
		}
		x64 := 1 + 1.0/(1<<52)
		src64 := make([]float64, 64)
		for i := range src64 {
			src64[i] = x64
		}
		dst64 := make([]float64, 64)
		k.affine64(dst64, src64, []uint64{^uint64(0)}, x64, -1, 0)
		for i, v := range dst64 {
			if v != 1.0/(1<<51) {
				t.Fatalf("%s affine64: element %d = %g, want %g (unfused)", k.name, i, v, 1.0/(1<<51))
			}
		}
	}
}

// Kernel-level throughput, to compare in one run with copy of the same
// buffers: go test -run=NONE -bench=AMD64 -count=5.
func BenchmarkAMD64Kernels(b *testing.B) {
	p := newPhiloxPlan(42, threshold(0.9))
	scale := float32(1 << 32 / float64(threshold(0.9)))
	for _, n := range []int{64 << 10, 16 << 20} {
		src := make([]float32, n)
		for i := range src {
			src[i] = float32(i)
		}
		dst := make([]float32, n)
		src16, dst16 := make([]BFloat16, n), make([]BFloat16, n)
		for i := range src16 {
			src16[i] = BFloat16FromFloat32(float32(i))
		}
		b.Run(fmt.Sprintf("copyBF16/n=%d", n), func(b *testing.B) {
			b.SetBytes(int64(2 * n))
			for b.Loop() {
				copy(dst16, src16)
			}
		})
		out := make([]uint32, n/32)
		chunkOut := make([]uint32, 128, 128+groupPad)
		mask := make([]uint64, n/64)
		for i := range mask {
			mask[i] = 0xFFFFFFFFFFFFFFFF &^ (1 << (i % 64))
		}
		b.Run(fmt.Sprintf("copy/n=%d", n), func(b *testing.B) {
			b.SetBytes(int64(4 * n))
			for b.Loop() {
				copy(dst, src)
			}
		})
		for _, k := range implementations {
			if k.name == "generic" && n > 1<<16 {
				continue
			}
			b.Run(fmt.Sprintf("forward32/%s/n=%d", k.name, n), func(b *testing.B) {
				b.SetBytes(int64(4 * n))
				for b.Loop() {
					k.forward32(dst, src, out, 0, &p, scale)
				}
			})
			b.Run(fmt.Sprintf("apply32/%s/n=%d", k.name, n), func(b *testing.B) {
				b.SetBytes(int64(4 * n))
				for b.Loop() {
					k.apply32(dst, src, mask, scale)
				}
			})
			b.Run(fmt.Sprintf("affine32/%s/n=%d", k.name, n), func(b *testing.B) {
				b.SetBytes(int64(4 * n))
				for b.Loop() {
					k.affine32(dst, src, mask, 1.0577, 0.2077, -1.8596)
				}
			})
			b.Run(fmt.Sprintf("forwardBF16/%s/n=%d", k.name, n), func(b *testing.B) {
				b.SetBytes(int64(2 * n))
				for b.Loop() {
					k.forwardBF16(dst16, src16, out, 0, &p, scale)
				}
			})
			// As the driver calls it: chunks of 128 groups.
			b.Run(fmt.Sprintf("forwardBF16chunked/%s/n=%d", k.name, n), func(b *testing.B) {
				b.SetBytes(int64(2 * n))
				for b.Loop() {
					for i := 0; i < n; i += 4096 {
						k.forwardBF16(dst16[i:i+4096], src16[i:i+4096], chunkOut, uint64(i/32), &p, scale)
					}
				}
			})
			b.Run(fmt.Sprintf("applyBF16/%s/n=%d", k.name, n), func(b *testing.B) {
				b.SetBytes(int64(2 * n))
				for b.Loop() {
					k.applyBF16(dst16, src16, mask, scale)
				}
			})
			b.Run(fmt.Sprintf("mask/%s/n=%d", k.name, n), func(b *testing.B) {
				b.SetBytes(int64(4 * n))
				for b.Loop() {
					k.maskGroups(out, 0, &p)
				}
			})
		}
	}
}

// The 16-bit kernels: bfloat16 and float16 bit patterns, compared bit for bit
// with genericKernels.

type half16 interface{ BFloat16 | Float16 }

// amd64HalfSpecials returns the special bit patterns of H: NaNs (quiet and
// signalling, both signs, payloads whose rounding would carry), ±Inf, ±0,
// subnormals, the normal boundary, max finite, and 1 and its neighbour.
func amd64HalfSpecials[H half16]() []H {
	var zero H
	var bs []uint16
	switch any(zero).(type) {
	case BFloat16:
		bs = []uint16{0x7fc0, 0x7f81, 0xffc1, 0xff81, 0x7fff, 0xffff, 0x7fbf, 0x7f80, 0xff80,
			0, 0x8000, 0x0001, 0x8001, 0x007f, 0x807f, 0x0080, 0x7f7f, 0xff7f, 0x3f80, 0x3f81, 0xbf80, 0x4000}
	case Float16:
		bs = []uint16{0x7e00, 0x7c01, 0xfe01, 0xfc01, 0x7fff, 0xffff, 0x7dff, 0x7c00, 0xfc00,
			0, 0x8000, 0x0001, 0x8001, 0x03ff, 0x83ff, 0x0400, 0x7bff, 0xfbff, 0x3c00, 0x3c01, 0xbc00, 0x4000}
	}
	hs := make([]H, len(bs))
	for i, b := range bs {
		hs[i] = H(b)
	}
	return hs
}

// amd64Halves returns n test patterns: specials, powers of two (which give
// ties with scales 1+2^-8 and 1+2^-11) and uniformly random bit patterns.
func amd64Halves[H half16](rng *rand.Rand, n int) []H {
	sp := amd64HalfSpecials[H]()
	s := make([]H, n)
	for i := range s {
		switch rng.IntN(6) {
		case 0:
			s[i] = sp[rng.IntN(len(sp))]
		case 1:
			s[i] = H(rng.Uint32N(1<<16)) &^ 0x03ff // powers of two (float16), coarse (bfloat16)
		default:
			s[i] = H(rng.Uint32N(1 << 16))
		}
	}
	return s
}

// amd64ActivationHalves returns n patterns such as activations hold: finite
// values of moderate size (the exponent fields 8 to 247 that the Incs
// kernels scale by table), a quarter of them ±0, and rarely (one in 512) a
// special pattern, so that most vectors stay on the table path and some
// take its cold path.
func amd64ActivationHalves[H half16](rng *rand.Rand, n int) []H {
	sp := amd64HalfSpecials[H]()
	s := make([]H, n)
	for i := range s {
		switch r := rng.IntN(512); {
		case r == 0:
			s[i] = sp[rng.IntN(len(sp))]
		case r < 128:
			s[i] = H(rng.IntN(2) << 15)
		default:
			s[i] = H(rng.IntN(2)<<15 | (8+rng.IntN(240))<<7 | rng.IntN(128))
		}
	}
	return s
}

// amd64HalfScales are the multipliers the 16-bit kernels are tested with:
// 1, Scale(0.9), ties for bfloat16 and float16, subnormal results, and
// overflow of large values.
var amd64HalfScales = []float32{1, 1.1111112, 0x1p-30, 1 + 0x1p-8, 1 + 0x1p-11, 0.5, 3, 1e5, 0x1p32, 0.75, 1 - 0x1p-9, 2, 0x1.fffffep0}

const amd64HalfGuard = 0xBEEF

func guardedHalves[H half16](src []H, lead int) (s, buf []H) {
	buf = make([]H, lead+len(src)+amd64Trail)
	for i := range buf {
		buf[i] = amd64HalfGuard
	}
	s = buf[lead : lead+len(src) : lead+len(src)]
	copy(s, src)
	return s, buf
}

func checkHalfGuards[H half16](t *testing.T, what string, buf []H, lead, n int) {
	t.Helper()
	for i, v := range buf {
		if (i < lead || i >= lead+n) && v != amd64HalfGuard {
			t.Fatalf("%s: guard element %d (data at %d..%d) overwritten: %#04x", what, i, lead, lead+n, uint16(v))
		}
	}
}

// checkHalfBuffers is checkFloatBuffers for the 16-bit kernels.
func checkHalfBuffers[H half16](t *testing.T, what string, inPlace bool, dbuf, sbuf, s, src []H, lead int) {
	t.Helper()
	n := len(src)
	if inPlace {
		checkHalfGuards(t, what, dbuf, lead, n)
		return
	}
	checkHalfGuards(t, what, dbuf, amd64Lead+lead, n)
	checkHalfGuards(t, what+" (src)", sbuf, lead, n)
	checkHalvesEqual(t, what+" (src unchanged)", s, src, src)
}

func checkHalvesEqual[H half16](t *testing.T, what string, got, want, src []H) {
	t.Helper()
	checkHalvesEqualNaN(t, what, got, want, src, false)
}

// isNaN16 reports whether h is a NaN pattern of its format.
func isNaN16[H half16](h H) bool {
	switch any(h).(type) {
	case BFloat16:
		return h&0x7fff > 0x7f80
	}
	return h&0x7fff > 0x7c00
}

// checkHalvesEqualNaN is checkHalvesEqual; with twoNaNs, a NaN source
// element whose result should be NaN may give any NaN. That is for a NaN
// parameter: which of two NaN operands propagates, and whether a signalling
// one was quieted first (VCVTPH2PS quiets), is unspecified; hardware keeps
// the first operand, as the generic code, but emulators (qemu) may not.
func checkHalvesEqualNaN[H half16](t *testing.T, what string, got, want, src []H, twoNaNs bool) {
	t.Helper()
	for i := range want {
		if twoNaNs && isNaN16(src[i]) && isNaN16(want[i]) && isNaN16(got[i]) {
			continue
		}
		if got[i] != want[i] {
			t.Fatalf("%s: element %d (src %#04x) = %#04x, want %#04x", what, i, uint16(src[i]), uint16(got[i]), uint16(want[i]))
		}
	}
}

func testForwardHalf[H half16](t *testing.T, name string, fwd, ref func(dst, src []H, out []uint32, first uint64, p *philoxPlan, scale float32)) {
	rng := rand.New(rand.NewPCG(13, 14))
	for gi, g := range amd64GroupCounts(true) {
		n := 32 * g
		for fi, first := range amd64Firsts(rng, g) {
			ts := amd64Thresholds(rng)
			tv := ts[rng.IntN(len(ts))]
			seed := rng.Uint64()
			p := newPhiloxPlan(seed, tv)
			scale := float32(float64(1<<32) / float64(tv))
			if k := (gi + fi) % (len(amd64HalfScales) + 1); k > 0 {
				scale = amd64HalfScales[k-1]
			}
			src := amd64Halves[H](rng, n)
			if fi%2 == 1 {
				src = amd64ActivationHalves[H](rng, n)
			}
			wantOut := make([]uint32, g)
			wantDst := make([]H, n)
			ref(wantDst, src, wantOut, first, &p, scale)
			for _, lead := range []int{0, 1, 3} {
				for _, inPlace := range []bool{false, true} {
					what := fmt.Sprintf("%s g=%d first=%#x seed=%#x T=%#x scale=%v lead=%d inPlace=%v", name, g, first, seed, tv, scale, lead, inPlace)
					s, sbuf := guardedHalves(src, lead)
					d, dbuf := s, sbuf
					if !inPlace {
						d, dbuf = guardedHalves(make([]H, n), amd64Lead+lead)
					}
					out, obuf := guardedOut(g)
					fwd(d, s, out, first, &p, scale)
					for j := range wantOut {
						if out[j] != wantOut[j] {
							t.Fatalf("%s: out[%d] = %#08x, want %#08x", what, j, out[j], wantOut[j])
						}
					}
					checkOutGuards(t, what, obuf, g)
					checkHalvesEqual(t, what, d, wantDst, src)
					checkHalfBuffers(t, what, inPlace, dbuf, sbuf, s, src, lead)
				}
			}
		}
	}
}

func TestAMD64ForwardHalf(t *testing.T) {
	for _, k := range amd64SIMDKernels(t) {
		t.Run(k.name+"/bfloat16", func(t *testing.T) {
			testForwardHalf(t, k.name+" forwardBF16", k.forwardBF16, genericKernels.forwardBF16)
		})
		t.Run(k.name+"/float16", func(t *testing.T) {
			testForwardHalf(t, k.name+" forwardF16", k.forwardF16, genericKernels.forwardF16)
		})
	}
}

func amd64HalfWordCounts() []int {
	var counts []int
	for words := 1; words <= 100; words++ {
		counts = append(counts, words)
	}
	return append(counts, 255, 1000)
}

// runHalfMaskKernel runs kernel (apply or affine with its parameters bound)
// on src and mask for every lead and in place or not, and compares with want.
func runHalfMaskKernel[H half16](t *testing.T, what string, kernel func(dst, src []H, mask []uint64), src, want []H, mask []uint64, twoNaNs bool) {
	t.Helper()
	n, words := len(src), len(mask)
	for _, lead := range []int{0, 1, 2, 3} {
		for _, inPlace := range []bool{false, true} {
			what := fmt.Sprintf("%s lead=%d inPlace=%v", what, lead, inPlace)
			s, sbuf := guardedHalves(src, lead)
			d, dbuf := s, sbuf
			if !inPlace {
				d, dbuf = guardedHalves(make([]H, n), amd64Lead+lead)
			}
			mbuf := append(append([]uint64{0x5555}, mask...), 0xAAAA)
			kernel(d, s, mbuf[1:1+words:1+words])
			checkHalvesEqualNaN(t, what, d, want, src, twoNaNs)
			checkHalfBuffers(t, what, inPlace, dbuf, sbuf, s, src, lead)
		}
	}
}

func testApplyHalf[H half16](t *testing.T, name string, apply, ref func(dst, src []H, mask []uint64, scale float32)) {
	rng := rand.New(rand.NewPCG(15, 16))
	for ci, words := range amd64HalfWordCounts() {
		n := 64 * words
		mask := amd64AffineMask(rng, words)
		src := amd64Halves[H](rng, n)
		if ci%2 == 1 {
			src = amd64ActivationHalves[H](rng, n)
		}
		scales := []float32{amd64HalfScales[ci%len(amd64HalfScales)], float32(1 + rng.Float64()*3)}
		for _, scale := range scales {
			want := make([]H, n)
			ref(want, src, mask, scale)
			runHalfMaskKernel(t, fmt.Sprintf("%s words=%d scale=%v", name, words, scale),
				func(dst, src []H, mask []uint64) { apply(dst, src, mask, scale) }, src, want, mask, false)
		}
	}
}

// TestAMD64BF16AllPatterns runs the bfloat16 forward and apply kernels over
// all 65536 patterns in order, so that most vectors hold one exponent field
// and the Incs kernels' table path meets every mantissa and both of its
// exponent boundaries, with scales inside [1, 2] and outside.
func TestAMD64BF16AllPatterns(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	src := make([]BFloat16, 1<<16)
	for p := range src {
		src[p] = BFloat16(p)
	}
	scales := []float32{1, float32(Scale(0.9)), 2, 1 + 0x1p-8, 1.5, 0x1.fffffep0, 0.75, 3}
	for _, k := range amd64SIMDKernels(t) {
		for _, scale := range scales {
			mask := amd64AffineMask(rng, len(src)/64)
			want := make([]BFloat16, len(src))
			genericKernels.applyBF16(want, src, mask, scale)
			runHalfMaskKernel(t, fmt.Sprintf("%s applyBF16 all patterns scale=%v", k.name, scale),
				func(dst, src []BFloat16, mask []uint64) { k.applyBF16(dst, src, mask, scale) }, src, want, mask, false)

			p := newPhiloxPlan(rng.Uint64(), threshold(0.9))
			g := len(src) / 32
			wantOut, gotOut := make([]uint32, g), make([]uint32, roundUp16(g))
			genericKernels.forwardBF16(want, src, wantOut, 0, &p, scale)
			got := make([]BFloat16, len(src))
			k.forwardBF16(got, src, gotOut[:g], 0, &p, scale)
			what := fmt.Sprintf("%s forwardBF16 all patterns scale=%v", k.name, scale)
			checkHalvesEqual(t, what, got, want, src)
			for j := range wantOut {
				if gotOut[j] != wantOut[j] {
					t.Fatalf("%s: out[%d] = %#08x, want %#08x", what, j, gotOut[j], wantOut[j])
				}
			}
		}
	}
}

func TestAMD64ApplyHalf(t *testing.T) {
	for _, k := range amd64SIMDKernels(t) {
		t.Run(k.name+"/bfloat16", func(t *testing.T) {
			testApplyHalf(t, k.name+" applyBF16", k.applyBF16, genericKernels.applyBF16)
		})
		t.Run(k.name+"/float16", func(t *testing.T) {
			testApplyHalf(t, k.name+" applyF16", k.applyF16, genericKernels.applyF16)
		})
	}
}

// amd64HalfAffineParams returns (a, b) pairs and dropped values d: alpha
// dropout's values, signed zeros, subnormals, extremes and infinities.
func amd64HalfAffineParams[H half16]() ([][2]float32, []H) {
	negZero := float32(math.Copysign(0, -1))
	sub, big := math.Float32frombits(0x00012345), float32(math.MaxFloat32)
	inf := float32(math.Inf(1))
	ab := [][2]float32{
		{1.0577, 0.2077}, {1, 0}, {1, negZero}, {negZero, negZero}, {0, negZero},
		{-3.5, -1.25}, {-1, 2}, {sub, sub}, {-sub, 1}, {2.5, -sub}, {0x1p-30, 0x1p-40},
		{big, -big}, {-big, big}, {1 / big, sub}, {inf, 1}, {-inf, inf}, {1, -inf},
		{1.1111112, 1 + 0x1p-8}, {1 + 0x1p-11, -0.5}, {1e5, 65504},
		// NaN parameters whose low payload bits would carry in a rounding.
		{1, math.Float32frombits(0x7fffffff)}, {-2, math.Float32frombits(0xffbfffff)},
		{math.Float32frombits(0x7fc0ffff), 1}, {math.Float32frombits(0xff80ffff), -1},
	}
	return ab, amd64HalfSpecials[H]()
}

func testAffineHalf[H half16](t *testing.T, name string, affine, ref func(dst, src []H, mask []uint64, a, b float32, d H)) {
	rng := rand.New(rand.NewPCG(17, 18))
	abs, ds := amd64HalfAffineParams[H]()
	for ci, words := range amd64HalfWordCounts() {
		n := 64 * words
		mask := amd64AffineMask(rng, words)
		src := amd64Halves[H](rng, n)
		// Small counts go through every (a, b) pair; the rest take two.
		ps := abs
		if words > len(abs) {
			ps = [][2]float32{abs[ci%len(abs)], {float32(rng.NormFloat64()), float32(rng.NormFloat64())}}
		}
		for pi, p := range ps {
			a, b, d := p[0], p[1], ds[(ci+pi)%len(ds)]
			want := make([]H, n)
			ref(want, src, mask, a, b, d)
			runHalfMaskKernel(t, fmt.Sprintf("%s words=%d a=%v b=%v d=%#04x", name, words, a, b, uint16(d)),
				func(dst, src []H, mask []uint64) { affine(dst, src, mask, a, b, d) }, src, want, mask, a != a || b != b)
		}
	}
}

func TestAMD64AffineHalf(t *testing.T) {
	for _, k := range amd64SIMDKernels(t) {
		t.Run(k.name+"/bfloat16", func(t *testing.T) {
			testAffineHalf(t, k.name+" affineBF16", k.affineBF16, genericKernels.affineBF16)
		})
		t.Run(k.name+"/float16", func(t *testing.T) {
			testAffineHalf(t, k.name+" affineF16", k.affineF16, genericKernels.affineF16)
		})
	}
}

// testAllHalves runs every 16-bit pattern through apply (all kept, then a
// random mask) and affine at several parameters, against the generic kernels.
func testAllHalves[H half16](t *testing.T, name string,
	apply, refApply func(dst, src []H, mask []uint64, scale float32),
	affine, refAffine func(dst, src []H, mask []uint64, a, b float32, d H)) {
	rng := rand.New(rand.NewPCG(19, 20))
	src := make([]H, 1<<16)
	for i := range src {
		src[i] = H(i)
	}
	ones := make([]uint64, len(src)/64)
	for i := range ones {
		ones[i] = ^uint64(0)
	}
	random := amd64AffineMask(rng, len(src)/64)
	got, want := make([]H, len(src)), make([]H, len(src))
	for _, mask := range [][]uint64{ones, random} {
		for _, scale := range amd64HalfScales {
			refApply(want, src, mask, scale)
			apply(got, src, mask, scale)
			checkHalvesEqual(t, fmt.Sprintf("%s apply scale=%v", name, scale), got, want, src)
		}
		for _, p := range [][3]float32{{1.0577, 0.2077, 0}, {1, 0, 0}, {0x1p-30, 0x1p-40, 0}, {1.1111112, -1, 0}, {3, 1e5, 0}} {
			d := H(rng.Uint32N(1 << 16))
			refAffine(want, src, mask, p[0], p[1], d)
			affine(got, src, mask, p[0], p[1], d)
			checkHalvesEqual(t, fmt.Sprintf("%s affine a=%v b=%v d=%#04x", name, p[0], p[1], uint16(d)), got, want, src)
		}
	}
}

func TestAMD64AllHalves(t *testing.T) {
	for _, k := range amd64SIMDKernels(t) {
		t.Run(k.name+"/bfloat16", func(t *testing.T) {
			testAllHalves(t, k.name+" bfloat16", k.applyBF16, genericKernels.applyBF16, k.affineBF16, genericKernels.affineBF16)
		})
		t.Run(k.name+"/float16", func(t *testing.T) {
			testAllHalves(t, k.name+" float16", k.applyF16, genericKernels.applyF16, k.affineF16, genericKernels.affineF16)
		})
	}
}

// TestAMD64HalfNaNBits checks the NaN results the 16-bit kernels store
// against the documented bits of BFloat16FromFloat32 and Float16FromFloat32:
// the product quiets the NaN, which keeps its sign and upper payload bits.
func TestAMD64HalfNaNBits(t *testing.T) {
	for _, k := range amd64SIMDKernels(t) {
		srcB, srcF := make([]BFloat16, 64), make([]Float16, 64)
		for i := range srcB {
			srcB[i] = BFloat16(0x7f81 + 2*i) // signalling, then quiet from 0x7fc1
			srcF[i] = Float16(0xfc01 + 16*i)
		}
		srcB[63], srcF[63] = 0xffff, 0x7fff
		dstB, dstF := make([]BFloat16, 64), make([]Float16, 64)
		k.applyBF16(dstB, srcB, []uint64{^uint64(0)}, 1.1111112)
		k.applyF16(dstF, srcF, []uint64{^uint64(0)}, 1.1111112)
		for i := range srcB {
			if want := srcB[i] | 0x0040; dstB[i] != want {
				t.Fatalf("%s bfloat16 NaN %#04x -> %#04x, want %#04x", k.name, uint16(srcB[i]), uint16(dstB[i]), uint16(want))
			}
			if want := srcF[i] | 0x0200; dstF[i] != want {
				t.Fatalf("%s float16 NaN %#04x -> %#04x, want %#04x", k.name, uint16(srcF[i]), uint16(dstF[i]), uint16(want))
			}
		}
	}
}

// TestNTAligned: the streaming wrappers take the non-temporal kernels
// exactly when dst is 64-byte aligned, so the streaming tests, which align
// dst, really run them.
func TestNTAligned(t *testing.T) {
	buf := make([]float32, 64)
	lead := 0
	for ; uintptr(unsafe.Pointer(&buf[lead]))%64 != 0; lead++ {
	}
	if !ntAligned(&buf[lead]) {
		t.Error("a 64-byte aligned dst is not taken as aligned")
	}
	for skew := 1; skew < 16; skew++ {
		if ntAligned(&buf[lead+skew]) {
			t.Errorf("dst %d bytes past a 64-byte boundary is taken as aligned", 4*skew)
		}
	}
}

// TestDispatchBest: without DROPOUT_IMPL, the package uses the best set this
// CPU supports: AVX-512 when cpuid reports its features, else AVX2.
func TestDispatchBest(t *testing.T) {
	if os.Getenv("DROPOUT_IMPL") != "" {
		t.Skip("DROPOUT_IMPL caps the choice")
	}
	impls := Implementations()
	if Impl() != impls[len(impls)-1] {
		t.Fatalf("Impl() = %s, want the last of %v", Impl(), impls)
	}
	want := "generic"
	switch {
	case cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX512BW, cpuid.AVX512VL, cpuid.AVX512DQ, cpuid.F16C):
		want = "avx512"
	case cpuid.CPU.Supports(cpuid.AVX, cpuid.AVX2, cpuid.F16C):
		want = "avx2"
	}
	if Impl() != want {
		t.Errorf("Impl() = %s on a CPU with %v, want %s", Impl(), cpuid.CPU.FeatureSet(), want)
	}
}

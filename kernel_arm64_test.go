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

func neonSpecials[T Float]() []T {
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

func neonBits[T Float](x T) uint64 {
	switch v := any(x).(type) {
	case float32:
		return uint64(math.Float32bits(v))
	default:
		return math.Float64bits(any(x).(float64))
	}
}

func neonSentinel[T Float]() T {
	var z T
	if _, ok := any(z).(float32); ok {
		return T(math.Float32frombits(neonGuard32))
	}
	return T(math.Float64frombits(0x7ff5a5a5a5a5a5a5))
}

// neonInput returns n values mixing specials, subnormals, tiny, huge and
// ordinary numbers.
func neonInput[T Float](rng *rand.Rand, n int) []T {
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
func neonBuf[T Float](vals []T, lead int) (s, buf []T) {
	buf = make([]T, lead+len(vals)+7)
	for i := range buf {
		buf[i] = neonSentinel[T]()
	}
	s = buf[lead : lead+len(vals) : lead+len(vals)]
	copy(s, vals)
	return s, buf
}

func neonCheckGuards[T Float](t *testing.T, what string, buf []T, lead, n int) {
	t.Helper()
	g := neonBits(neonSentinel[T]())
	for i, v := range buf {
		if (i < lead || i >= lead+n) && neonBits(v) != g {
			t.Fatalf("%s: guard %d overwritten: %#x", what, i, neonBits(v))
		}
	}
}

func neonCheckSame[T Float](t *testing.T, what string, got, want []T) {
	t.Helper()
	for i := range want {
		if neonBits(got[i]) != neonBits(want[i]) {
			t.Fatalf("%s: [%d] = %#x, want %#x (src bits differ)", what, i, neonBits(got[i]), neonBits(want[i]))
		}
	}
}

func testNEONForward[T Float](t *testing.T, fwd func(dst, src []T, out []uint32, first uint64, p *philoxPlan, scale T)) {
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
			forwardGeneric(want, vals, wantOut, first, &plan, scale)
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

func TestNEONForward32(t *testing.T) { testNEONForward(t, neonKernels.forward32) }
func TestNEONForward64(t *testing.T) { testNEONForward(t, neonKernels.forward64) }

func testNEONApply[T Float](t *testing.T, apply func(dst, src []T, mask []uint64, scale T)) {
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
			applyGeneric(want, vals, mask, scale)
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

func TestNEONApply32(t *testing.T) { testNEONApply(t, neonKernels.apply32) }
func TestNEONApply64(t *testing.T) { testNEONApply(t, neonKernels.apply64) }

func TestNEONEmpty(t *testing.T) {
	plan := newPhiloxPlan(1, 1<<31)
	neonKernels.maskGroups(nil, 0, &plan)
	neonKernels.forward32(nil, nil, nil, 0, &plan, 2)
	neonKernels.forward64(nil, nil, nil, 0, &plan, 2)
	neonKernels.apply32(nil, nil, nil, 2)
	neonKernels.apply64(nil, nil, nil, 2)
}

package dropout

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// testKeeps covers the thresholds' edge cases: all dropped, T = 4 (tiny),
// typical rates, T = 2^32-4 and all kept.
var testKeeps = []float64{0, 1e-9, 0.1, 0.5, 0.9, 1 - 1e-9, 1}

// Offsets: every residue modulo 64, a call whose groups cross the counter's
// upper word (group 2^32), and calls ending just before 2^64-1.
func testOffsets(maxN int) []uint64 {
	var offs []uint64
	for o := uint64(0); o <= 64; o++ {
		offs = append(offs, o)
	}
	return append(offs, 1<<37-45, 1<<37+13, 1<<63+1, math.MaxUint64-uint64(maxN)-1, math.MaxUint64-uint64(maxN))
}

// allLengths are the offsets at which every n from 0 to 300 is tested.
var allLengths = map[uint64]bool{0: true, 1: true, 31: true, 32: true, 33: true, 63: true, 64: true, 1<<37 - 45: true}

var someLengths = []int{0, 1, 2, 7, 31, 32, 33, 63, 64, 65, 95, 96, 97, 127, 128, 129, 255, 256, 257, 300, 511, 513, 1000}

// TestMatchesDefinition checks GenerateMask, Forward, Apply and Backward of
// every implementation, bit for bit, against the slow reference.
func TestMatchesDefinition(t *testing.T) {
	seeds := []uint64{0, 0x0123456789abcdef, 1<<64 - 1}
	keeps := testKeeps
	if testing.Short() {
		seeds = seeds[1:2]
		keeps = []float64{0, 1e-9, 0.5, 0.9, 1}
	}
	const maxN = 1000
	rng := rand.New(rand.NewPCG(1, 2))
	src32 := testInput[float32](rng, maxN)
	src64 := testInput[float64](rng, maxN)
	srcBF16 := testInput[BFloat16](rng, maxN)
	srcF16 := testInput[Float16](rng, maxN)
	for _, seed := range seeds {
		for _, keep := range keeps {
			for _, off := range testOffsets(maxN) {
				cfg := Config{Keep: keep, Seed: seed, Offset: off}
				ref := refBits(cfg, maxN)
				lengths := someLengths
				if allLengths[off] && !testing.Short() || off == 0 {
					lengths = nil
					for n := 0; n <= 300; n++ {
						lengths = append(lengths, n)
					}
				}
				forEachImpl(t, func(t *testing.T) {
					for _, n := range lengths {
						name := fmt.Sprintf("seed=%#x keep=%v offset=%d n=%d", seed, keep, off, n)
						checkCall(t, name, cfg, ref[:n], src32[:n], rng)
						checkCall(t, name, cfg, ref[:n], src64[:n], rng)
						checkCall(t, name, cfg, ref[:n], srcBF16[:n], rng)
						checkCall(t, name, cfg, ref[:n], srcF16[:n], rng)
					}
				})
			}
		}
	}
}

// checkCall runs every public function on one input and compares with the
// reference: outputs, masks, kept counts and guard elements.
func checkCall[T Float](t *testing.T, name string, cfg Config, kept []bool, src []T, rng *rand.Rand) {
	t.Helper()
	n := len(src)
	wantMask := refMask(kept)
	wantKept := countTrue(kept)
	want := refOutput(src, kept, cfg.Keep)
	lead := rng.IntN(4)

	mask := guardedMask(n)
	got, err := GenerateMask(mask, n, cfg)
	if err != nil || got != wantKept {
		t.Fatalf("%s: GenerateMask = %d, %v; want %d", name, got, err, wantKept)
	}
	expectMask(t, name+": GenerateMask", mask, wantMask)

	dst, buf := guarded[T](n, lead)
	mask = guardedMask(n)
	got, err = Forward(dst, src, mask, cfg)
	if err != nil || got != wantKept {
		t.Fatalf("%s: Forward = %d, %v; want %d", name, got, err, wantKept)
	}
	checkSame(t, name+": Forward", dst, want)
	checkGuards(t, name+": Forward", buf, lead, n)
	expectMask(t, name+": Forward", mask, wantMask)

	// Without a mask, and in place.
	inPlace, buf := guarded[T](n, lead)
	copy(inPlace, src)
	got, err = Forward(inPlace, inPlace, nil, cfg)
	if err != nil || got != wantKept {
		t.Fatalf("%s: Forward in place, nil mask = %d, %v; want %d", name, got, err, wantKept)
	}
	checkSame(t, name+": Forward in place", inPlace, want)
	checkGuards(t, name+": Forward in place", buf, lead, n)

	// Backward regenerates the mask, or applies the stored one.
	dst, buf = guarded[T](n, lead)
	if err := Backward(dst, src, nil, cfg); err != nil {
		t.Fatalf("%s: Backward(nil mask): %v", name, err)
	}
	checkSame(t, name+": Backward(nil mask)", dst, want)
	checkGuards(t, name+": Backward(nil mask)", buf, lead, n)

	dst, buf = guarded[T](n, lead)
	if err := Backward(dst, src, wantMask, cfg); err != nil {
		t.Fatalf("%s: Backward(mask): %v", name, err)
	}
	wantBack := refApply(src, wantMask, Scale(cfg.Keep))
	if th := threshold(cfg.Keep); th == 0 || th == 1<<32 {
		wantBack = want // the mask is implied: as with a nil mask, no multiply
	}
	checkSame(t, name+": Backward(mask)", dst, wantBack)
	checkGuards(t, name+": Backward(mask)", buf, lead, n)

	// Apply with an arbitrary scale, bits past n in the last word set.
	dirty := append([]uint64(nil), wantMask...)
	if n%64 != 0 {
		dirty[len(dirty)-1] |= ^uint64(0) << (n % 64)
	}
	dst, buf = guarded[T](n, lead)
	if err := Apply(dst, src, dirty, -0.37); err != nil {
		t.Fatalf("%s: Apply: %v", name, err)
	}
	checkSame(t, name+": Apply", dst, refApply(src, wantMask, -0.37))
	checkGuards(t, name+": Apply", buf, lead, n)
}

// TestLargeCalls covers calls longer than the driver's chunk, where kernels
// are called repeatedly and the mask packer carries words across chunks.
func TestLargeCalls(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{4097, 32767, 32768, 32769, 70001} {
		src := testInput[float32](rng, n)
		src64 := testInput[float64](rng, n)
		srcBF16 := testInput[BFloat16](rng, n)
		srcF16 := testInput[Float16](rng, n)
		for _, off := range []uint64{0, 5, 32, 77, 1<<37 - 4096} {
			cfg := Config{Keep: 0.7, Seed: uint64(n), Offset: off}
			ref := refBits(cfg, n)
			forEachImpl(t, func(t *testing.T) {
				name := fmt.Sprintf("n=%d offset=%d", n, off)
				checkCall(t, name, cfg, ref, src, rng)
				checkCall(t, name, cfg, ref, src64, rng)
				checkCall(t, name, cfg, ref, srcBF16, rng)
				checkCall(t, name, cfg, ref, srcF16, rng)
			})
		}
	}
}

// TestShardInvariance: one call over [0, n) equals the same range cut into
// pieces at arbitrary points, each with its matching Offset.
func TestShardInvariance(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	forEachImpl(t, func(t *testing.T) {
		for trial := 0; trial < 50; trial++ {
			n := 1 + rng.IntN(20000)
			cfg := Config{Keep: rng.Float64(), Seed: rng.Uint64(), Offset: rng.Uint64() >> rng.IntN(64)}
			if cfg.Offset > math.MaxUint64-uint64(n) {
				cfg.Offset -= uint64(n)
			}
			src := testInput[float32](rng, n)
			whole := make([]float32, n)
			mask := make([]uint64, Words(n))
			kept, err := Forward(whole, src, mask, cfg)
			if err != nil {
				t.Fatal(err)
			}
			pieces := make([]float32, n)
			piecesKept := 0
			for lo := 0; lo < n; {
				hi := min(n, lo+1+rng.IntN(3000))
				part := cfg
				part.Offset += uint64(lo)
				pm := make([]uint64, Words(hi-lo))
				k, err := Forward(pieces[lo:hi], src[lo:hi], pm, part)
				if err != nil {
					t.Fatal(err)
				}
				piecesKept += k
				for i := lo; i < hi; i++ {
					if pm[(i-lo)/64]>>((i-lo)%64)&1 != mask[i/64]>>(i%64)&1 {
						t.Fatalf("cfg %+v: piece [%d,%d): mask bit %d differs from the whole call's", cfg, lo, hi, i)
					}
				}
				lo = hi
			}
			if piecesKept != kept {
				t.Fatalf("cfg %+v n=%d: pieces kept %d, whole call %d", cfg, n, piecesKept, kept)
			}
			checkSame(t, fmt.Sprintf("cfg %+v n=%d", cfg, n), pieces, whole)
		}
	})
}

// TestImplementationsAgreeOnLargeInputs compares every implementation with
// the pure-Go one on inputs too large for the slow reference.
func TestImplementationsAgreeOnLargeInputs(t *testing.T) {
	n := 1<<20 + 333
	if testing.Short() {
		n = 1<<16 + 333
	}
	rng := rand.New(rand.NewPCG(7, 8))
	src := testInput[float32](rng, n)
	for _, keep := range []float64{0.1, 0.5, 0.9, 0.999} {
		cfg := Config{Keep: keep, Seed: 42, Offset: 1<<37 - 1000}
		want := make([]float32, n)
		wantMask := make([]uint64, Words(n))
		wantKept := forward(&genericKernels, want, src, wantMask, n, cfg, Scale(cfg.Keep), true)
		forEachImpl(t, func(t *testing.T) {
			got := make([]float32, n)
			mask := make([]uint64, Words(n))
			kept, err := Forward(got, src, mask, cfg)
			if err != nil || kept != wantKept {
				t.Fatalf("keep %v: kept %d, %v; want %d", keep, kept, err, wantKept)
			}
			checkSame(t, fmt.Sprintf("keep %v", keep), got, want)
			expectMask(t, fmt.Sprintf("keep %v", keep), mask, wantMask)
		})
	}
}

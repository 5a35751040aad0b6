package dropout

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
)

// References for the variants, from their definitions, on the slow
// reference mask.

func refExact[T Float](src []T, kept []bool, rowLen int, keep float64) []T {
	if threshold(keep) == 1<<32 {
		return append([]T(nil), src...)
	}
	dst := make([]T, len(src))
	for r := 0; r < len(src)/rowLen; r++ {
		count := countTrue(kept[r*rowLen : (r+1)*rowLen])
		for i := r * rowLen; i < (r+1)*rowLen; i++ {
			if kept[i] {
				dst[i] = refMul(src[i], float64(rowLen)/float64(count))
			}
		}
	}
	return dst
}

func refChannels[T Float](src []T, blockKept []bool, spatial int, keep float64) []T {
	if threshold(keep) == 1<<32 {
		return append([]T(nil), src...)
	}
	dst := make([]T, len(src))
	for i := range src {
		if blockKept[i/spatial] {
			dst[i] = refMul(src[i], Scale(keep))
		}
	}
	return dst
}

func refAlpha[T Float](src []T, kept []bool, keep float64) []T {
	t := threshold(keep)
	dst := make([]T, len(src))
	if t == 1<<32 {
		copy(dst, src)
		return dst
	}
	if t == 0 {
		return dst
	}
	q := float64(t) / (1 << 32)
	ap := -1.7580993408473766
	// Explicit conversions: each product is rounded before the sum (no FMA).
	variance := float64(float64(ap*ap*q) * (1 - q))
	a := 1 / math.Sqrt(q+variance)
	b := float64(-a*ap) * (1 - q)
	d := float64(a*ap) + b
	for i, x := range src {
		if kept[i] {
			dst[i] = refAffine(x, a, b)
		} else {
			dst[i] = refNarrow[T](d)
		}
	}
	return dst
}

func TestVariantsMatchDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	keeps := []float64{0, 1e-9, 0.3, 0.9, 1}
	for _, keep := range keeps {
		for _, off := range []uint64{0, 3, 64, 1<<37 - 70} {
			for _, shape := range [][2]int{{0, 3}, {1, 1}, {3, 7}, {5, 64}, {2, 100}, {40, 33}, {1, 5000}, {3, 4097}, {300, 1}, {7, 49}} {
				rows, rowLen := shape[0], shape[1]
				n := rows * rowLen
				cfg := Config{Keep: keep, Seed: rng.Uint64(), Offset: off}
				src := testInput[float32](rng, n)
				src64 := testInput[float64](rng, n)
				srcBF16 := testInput[BFloat16](rng, n)
				srcF16 := testInput[Float16](rng, n)
				kept := refBits(cfg, n)
				blockKept := refBits(cfg, rows)
				forEachImpl(t, func(t *testing.T) {
					name := fmt.Sprintf("keep %v offset %d rows %d x %d", keep, off, rows, rowLen)
					checkVariants(t, name, cfg, src, kept, blockKept, rowLen)
					checkVariants(t, name, cfg, src64, kept, blockKept, rowLen)
					checkVariants(t, name, cfg, srcBF16, kept, blockKept, rowLen)
					checkVariants(t, name, cfg, srcF16, kept, blockKept, rowLen)
				})
			}
		}
	}
}

func checkVariants[T Float](t *testing.T, name string, cfg Config, src []T, kept, blockKept []bool, rowLen int) {
	t.Helper()
	n := len(src)
	rows := n / rowLen
	for _, withMask := range []bool{true, false} {
		var mask []uint64
		if withMask {
			mask = guardedMask(n)
		}
		what := fmt.Sprintf("%s mask=%v", name, withMask)

		dst, buf := guarded[T](n, 1)
		got, err := ForwardExact(dst, src, mask, cfg, rowLen)
		if err != nil || got != countTrue(kept) {
			t.Fatalf("%s: ForwardExact = %d, %v; want %d", what, got, err, countTrue(kept))
		}
		want := refExact(src, kept, rowLen, cfg.Keep)
		checkSame(t, what+": ForwardExact", dst, want)
		checkGuards(t, what+": ForwardExact", buf, 1, n)
		if withMask {
			expectMask(t, what+": ForwardExact", mask, refMask(kept))
		}
		dst, buf = guarded[T](n, 2)
		if err := BackwardExact(dst, src, trimMask(mask, n), cfg, rowLen); err != nil {
			t.Fatal(err)
		}
		checkSame(t, what+": BackwardExact", dst, want)
		checkGuards(t, what+": BackwardExact", buf, 2, n)

		if withMask {
			mask = guardedMask(rows)
		}
		dst, buf = guarded[T](n, 3)
		got, err = ForwardChannels(dst, src, mask, cfg, rowLen)
		if err != nil || got != countTrue(blockKept) {
			t.Fatalf("%s: ForwardChannels = %d, %v; want %d", what, got, err, countTrue(blockKept))
		}
		want = refChannels(src, blockKept, rowLen, cfg.Keep)
		checkSame(t, what+": ForwardChannels", dst, want)
		checkGuards(t, what+": ForwardChannels", buf, 3, n)
		if withMask {
			expectMask(t, what+": ForwardChannels", mask, refMask(blockKept))
		}
		dst, buf = guarded[T](n, 0)
		if err := BackwardChannels(dst, src, trimMask(mask, rows), cfg, rowLen); err != nil {
			t.Fatal(err)
		}
		checkSame(t, what+": BackwardChannels", dst, want)
		checkGuards(t, what+": BackwardChannels", buf, 0, n)

		if withMask {
			mask = guardedMask(n)
		}
		dst, buf = guarded[T](n, 1)
		got, err = ForwardAlpha(dst, src, mask, cfg)
		if err != nil || got != countTrue(kept) {
			t.Fatalf("%s: ForwardAlpha = %d, %v; want %d", what, got, err, countTrue(kept))
		}
		checkSame(t, what+": ForwardAlpha", dst, refAlpha(src, kept, cfg.Keep))
		checkGuards(t, what+": ForwardAlpha", buf, 1, n)
		if withMask {
			expectMask(t, what+": ForwardAlpha", mask, refMask(kept))
		}
		dst, buf = guarded[T](n, 1)
		if err := BackwardAlpha(dst, src, trimMask(mask, n), cfg); err != nil {
			t.Fatal(err)
		}
		wantBack := make([]T, n)
		switch threshold(cfg.Keep) {
		case 0:
		case 1 << 32:
			copy(wantBack, src)
		default:
			a, _, _ := alphaCoefficients(cfg.Keep)
			wantBack = refApply(src, refMask(kept), a)
		}
		checkSame(t, what+": BackwardAlpha", dst, wantBack)
		checkGuards(t, what+": BackwardAlpha", buf, 1, n)
	}
}

func trimMask(mask []uint64, n int) []uint64 {
	if mask == nil {
		return nil
	}
	return mask[:Words(n)]
}

// TestWorkersBitIdentical: every function gives the same outputs, masks
// and counts for every Workers value, on inputs large enough to split.
func TestWorkersBitIdentical(t *testing.T) {
	// Workers is capped at GOMAXPROCS: raise it so that 3 and 8 split.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(8))
	rng := rand.New(rand.NewPCG(31, 32))
	n := 3*minPerWorker + 777
	if !testing.Short() {
		n = 1<<20 + 333
	}
	rowLen := 3 * 7
	n -= n % rowLen
	src := testInput[float32](rng, n)
	cfg := Config{Keep: 0.8, Seed: 5, Offset: 12345}
	type result struct {
		out  [][]float32
		mask [][]uint64
		kept []int
	}
	run := func(workers int) result {
		c := cfg
		c.Workers = workers
		var r result
		add := func(dst []float32, mask []uint64, kept int, err error) {
			if err != nil {
				t.Fatal(err)
			}
			r.out, r.mask, r.kept = append(r.out, dst), append(r.mask, mask), append(r.kept, kept)
		}
		dst, mask := make([]float32, n), make([]uint64, Words(n))
		k, err := Forward(dst, src, mask, c)
		add(dst, mask, k, err)
		dst = make([]float32, n)
		add(dst, nil, 0, Backward(dst, src, nil, c))
		dst = make([]float32, n)
		add(dst, nil, 0, Backward(dst, src, mask, c))
		mask = make([]uint64, Words(n))
		k, err = GenerateMask(mask, n, c)
		add(nil, mask, k, err)
		dst, mask = make([]float32, n), make([]uint64, Words(n))
		k, err = ForwardExact(dst, src, mask, c, rowLen)
		add(dst, mask, k, err)
		dst = make([]float32, n)
		k, err = ForwardExact(dst, src, nil, c, rowLen)
		add(dst, nil, k, err)
		dst = make([]float32, n)
		add(dst, nil, 0, BackwardExact(dst, src, mask, c, rowLen))
		dst, mask = make([]float32, n), make([]uint64, Words(n/3))
		k, err = ForwardChannels(dst, src, mask, c, 3)
		add(dst, mask, k, err)
		dst = make([]float32, n)
		k, err = ForwardChannels(dst, src, nil, c, 3)
		add(dst, nil, k, err)
		dst, mask = make([]float32, n), make([]uint64, Words(n))
		k, err = ForwardAlpha(dst, src, mask, c)
		add(dst, mask, k, err)
		dst = make([]float32, n)
		k, err = ForwardAlpha(dst, src, nil, c)
		add(dst, nil, k, err)
		dst = make([]float32, n)
		add(dst, nil, 0, BackwardAlpha(dst, src, nil, c))
		return r
	}
	forEachImpl(t, func(t *testing.T) {
		one := run(1)
		for _, w := range []int{0, 2, 3, 8} {
			got := run(w)
			for i := range one.out {
				what := fmt.Sprintf("workers %d, call %d", w, i)
				if got.kept[i] != one.kept[i] {
					t.Fatalf("%s: kept %d, one worker %d", what, got.kept[i], one.kept[i])
				}
				checkSame(t, what, got.out[i], one.out[i])
				expectMask(t, what, got.mask[i], one.mask[i])
			}
		}
	})
}

func TestVariantErrors(t *testing.T) {
	src := make([]float32, 12)
	dst := make([]float32, 12)
	good := Config{Keep: 0.5}
	cases := []struct {
		err  error
		want string
	}{
		{func() error { _, err := ForwardExact(dst, src, nil, good, 5); return err }(), "rowLen=5"},
		{func() error { _, err := ForwardExact(dst, src, nil, good, 0); return err }(), "rowLen=0"},
		{BackwardExact(dst, src[:6], nil, good, 3), "len(dx)=12"},
		{func() error { _, err := ForwardExact(dst, src, []uint64{}, good, 3); return err }(), "len(mask)=0"},
		{func() error { _, err := ForwardChannels(dst, src, nil, good, 5); return err }(), "spatial=5"},
		{func() error { _, err := ForwardChannels(dst, src, nil, good, -1); return err }(), "spatial=-1"},
		{BackwardChannels(dst, src, []uint64{}, good, 3), "Words(4)=1"},
		{func() error { _, err := ForwardChannels(dst, src, nil, Config{Keep: math.NaN()}, 3); return err }(), "Keep=NaN"},
		{func() error { _, err := ForwardAlpha(dst, src, nil, Config{Keep: 3}); return err }(), "Keep=3"},
		{BackwardAlpha(dst, src[:1], nil, good), "len(dy)=1"},
		{BackwardExact(dst, src, nil, Config{Keep: -1}, 3), "Keep=-1"},
		{func() error {
			_, err := ForwardExact(dst, src, nil, Config{Keep: 0.5, Offset: math.MaxUint64 - 3}, 3)
			return err
		}(), "len(src)=12 runs past"},
		{func() error {
			_, err := ForwardAlpha(dst, src, nil, Config{Keep: 0.5, Offset: math.MaxUint64 - 3})
			return err
		}(), "len(src)=12 runs past"},
		{func() error {
			_, err := ForwardChannels(dst, src, nil, Config{Keep: 0.5, Offset: math.MaxUint64 - 3}, 2)
			return err
		}(), "len(src)/spatial=6 runs past"},
	}
	for _, c := range cases {
		if !errors.Is(c.err, ErrInvalid) || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("error %v: want ErrInvalid mentioning %q", c.err, c.want)
		}
	}
	for i, x := range dst {
		if x != 0 {
			t.Fatalf("dst[%d] written", i)
		}
	}
}

// TestImpliedMaskNotRead: at Keep 0 and 1 the backward functions give a
// stored mask's call the bits of a nil mask's call and neither read nor
// write the mask: a junk mask changes nothing and stays as it was.
func TestImpliedMaskNotRead(t *testing.T) {
	const n, rowLen = 640, 64
	src := testInput[float32](rand.New(rand.NewPCG(71, 72)), n)
	src[3] = math.Float32frombits(0x7f800001) // signalling NaN: a multiply by 1 would quiet it
	backward := map[string]func(dx []float32, mask []uint64, cfg Config) error{
		"Backward":         func(dx []float32, m []uint64, cfg Config) error { return Backward(dx, src, m, cfg) },
		"BackwardExact":    func(dx []float32, m []uint64, cfg Config) error { return BackwardExact(dx, src, m, cfg, rowLen) },
		"BackwardChannels": func(dx []float32, m []uint64, cfg Config) error { return BackwardChannels(dx, src, m, cfg, rowLen) },
		"BackwardAlpha":    func(dx []float32, m []uint64, cfg Config) error { return BackwardAlpha(dx, src, m, cfg) },
	}
	forEachImpl(t, func(t *testing.T) {
		for _, keep := range []float64{0, 1} {
			cfg := Config{Keep: keep, Seed: 5}
			for name, call := range backward {
				want := make([]float32, n)
				if err := call(want, nil, cfg); err != nil {
					t.Fatal(err)
				}
				junk := make([]uint64, Words(n))
				for i := range junk {
					junk[i] = 0x5a5a_a5a5_0f0f_f0f0 ^ uint64(i)
				}
				saved := append([]uint64(nil), junk...)
				got := make([]float32, n)
				if err := call(got, junk, cfg); err != nil {
					t.Fatal(err)
				}
				checkSame(t, fmt.Sprintf("%s keep %v, junk mask", name, keep), got, want)
				for i := range junk {
					if junk[i] != saved[i] {
						t.Fatalf("%s keep %v: mask word %d written", name, keep, i)
					}
				}
			}
		}
	})
}

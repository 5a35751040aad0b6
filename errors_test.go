package dropout

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// TestInvalidArguments: every bad input returns an error that wraps
// ErrInvalid and names the argument, and nothing is written.
func TestInvalidArguments(t *testing.T) {
	good := Config{Keep: 0.5, Seed: 1}
	src := []float32{1, 2, 3, 4, 5}
	cases := []struct {
		name  string
		call  func(dst []float32, mask []uint64) error
		words []string // must appear in the message
	}{
		{"Forward len mismatch", func(d []float32, m []uint64) error { _, err := Forward(d[:4], src, m, good); return err }, []string{"len(dst)=4", "len(src)=5"}},
		{"Forward short mask", func(d []float32, m []uint64) error { _, err := Forward(d, src, m[:0], good); return err }, []string{"len(mask)=0", "Words(5)=1"}},
		{"Forward keep NaN", func(d []float32, m []uint64) error {
			_, err := Forward(d, src, m, Config{Keep: math.NaN()})
			return err
		}, []string{"Keep=NaN"}},
		{"Forward keep -0.1", func(d []float32, m []uint64) error { _, err := Forward(d, src, m, Config{Keep: -0.1}); return err }, []string{"Keep=-0.1"}},
		{"Forward keep 1.5", func(d []float32, m []uint64) error { _, err := Forward(d, src, m, Config{Keep: 1.5}); return err }, []string{"Keep=1.5"}},
		{"Forward keep +Inf", func(d []float32, m []uint64) error {
			_, err := Forward(d, src, m, Config{Keep: math.Inf(1)})
			return err
		}, []string{"Keep=+Inf"}},
		{"Forward offset overflow", func(d []float32, m []uint64) error {
			_, err := Forward(d, src, m, Config{Keep: 0.5, Offset: math.MaxUint64 - 4})
			return err
		}, []string{"Offset=18446744073709551611", "len(src)=5"}},
		{"GenerateMask negative n", func(d []float32, m []uint64) error { _, err := GenerateMask(m, -1, good); return err }, []string{"n=-1"}},
		{"GenerateMask short mask", func(d []float32, m []uint64) error { _, err := GenerateMask(m[:1], 65, good); return err }, []string{"len(mask)=1", "Words(65)=2"}},
		{"GenerateMask nil mask", func(d []float32, m []uint64) error { _, err := GenerateMask(nil, 3, good); return err }, []string{"mask is nil"}},
		{"Apply nil mask", func(d []float32, m []uint64) error { return Apply(d, src, nil, 2) }, []string{"mask is nil"}},
		{"Apply short mask", func(d []float32, m []uint64) error { return Apply(d, src, m[:0], 2) }, []string{"len(mask)=0", "Words(5)=1"}},
		{"Apply len mismatch", func(d []float32, m []uint64) error { return Apply(d[:1], src, m, 2) }, []string{"len(dst)=1", "len(src)=5"}},
		{"Apply scale NaN", func(d []float32, m []uint64) error { return Apply(d, src, m, math.NaN()) }, []string{"scale=NaN"}},
		{"Apply scale Inf", func(d []float32, m []uint64) error { return Apply(d, src, m, math.Inf(-1)) }, []string{"scale=-Inf"}},
		{"Apply scale overflows float32", func(d []float32, m []uint64) error { return Apply(d, src, m, 1e39) }, []string{"scale=1e+39", "float32"}},
		{"Backward len mismatch", func(d []float32, m []uint64) error { return Backward(d, src[:2], m, good) }, []string{"len(dx)=5", "len(dy)=2"}},
		{"Backward short mask", func(d []float32, m []uint64) error { return Backward(d, src, m[:0], good) }, []string{"len(mask)=0"}},
		{"Backward bad keep", func(d []float32, m []uint64) error { return Backward(d, src, nil, Config{Keep: 2}) }, []string{"Keep=2"}},
	}
	forEachImpl(t, func(t *testing.T) {
		for _, c := range cases {
			dst := []float32{9, 9, 9, 9, 9}
			mask := []uint64{guardWord, guardWord}
			err := c.call(dst, mask)
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("%s: err = %v, want one wrapping ErrInvalid", c.name, err)
				continue
			}
			for _, w := range c.words {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%s: error %q does not mention %q", c.name, err, w)
				}
			}
			for i, x := range dst {
				if x != 9 {
					t.Errorf("%s: dst[%d] written (%v)", c.name, i, x)
				}
			}
			if mask[0] != guardWord || mask[1] != guardWord {
				t.Errorf("%s: mask written (%#x)", c.name, mask)
			}
		}
	})
}

// TestEdgeKeeps: Keep 0 drops everything to +0 (even NaN and -0), Keep 1 is
// the identity bit for bit (even for signalling NaNs).
func TestEdgeKeeps(t *testing.T) {
	src := specials[float32]()
	forEachImpl(t, func(t *testing.T) {
		dst := make([]float32, len(src))
		mask := []uint64{guardWord}
		kept, err := Forward(dst, src, mask, Config{Keep: 0, Seed: 3})
		if err != nil || kept != 0 || mask[0] != 0 {
			t.Fatalf("Keep 0: kept %d, mask %#x, err %v", kept, mask[0], err)
		}
		for i, y := range dst {
			if math.Float32bits(y) != 0 {
				t.Fatalf("Keep 0: dst[%d] = %#x, want +0", i, math.Float32bits(y))
			}
		}
		kept, err = Forward(dst, src, mask, Config{Keep: 1, Seed: 3})
		if err != nil || kept != len(src) || mask[0] != 1<<len(src)-1 {
			t.Fatalf("Keep 1: kept %d, mask %#x, err %v", kept, mask[0], err)
		}
		checkSame(t, "Keep 1", dst, src)
	})
}

func TestScaleAndEffectiveKeep(t *testing.T) {
	cases := []struct{ keep, eff, scale float64 }{
		{0, 0, 0},
		{1, 1, 1},
		{0.5, 0.5, 2},
		{0.9, 3865470566.0 / (1 << 32), (1 << 32) / 3865470566.0},
		{1e-10, 0, 0}, // rounds to T = 0
		{2e-10, 1.0 / (1 << 32), 1 << 32},
	}
	for _, c := range cases {
		if got := EffectiveKeep(c.keep); got != c.eff {
			t.Errorf("EffectiveKeep(%v) = %v, want %v", c.keep, got, c.eff)
		}
		if got := Scale(c.keep); got != c.scale {
			t.Errorf("Scale(%v) = %v, want %v", c.keep, got, c.scale)
		}
	}
	for _, bad := range []float64{-1, 1.01, math.NaN(), math.Inf(1)} {
		if !math.IsNaN(Scale(bad)) || !math.IsNaN(EffectiveKeep(bad)) {
			t.Errorf("Scale/EffectiveKeep(%v) should be NaN", bad)
		}
	}
	if Words(0) != 0 || Words(1) != 1 || Words(64) != 1 || Words(65) != 2 || Words(-3) != 0 {
		t.Error("Words is wrong")
	}
}

// TestOverlapRejected: dst and src may be the same slice, but a shifted
// overlap is rejected (the kernels would read results already written,
// differently on each path), naming both slices, with nothing written.
func TestOverlapRejected(t *testing.T) {
	cfg := Config{Keep: 0.5, Seed: 7}
	const n = 64
	calls := map[string]func(dst, src []float32, mask []uint64) error{
		"Forward":          func(d, s []float32, m []uint64) error { _, err := Forward(d, s, m, cfg); return err },
		"Apply":            func(d, s []float32, m []uint64) error { return Apply(d, s, m, 2) },
		"Backward":         func(d, s []float32, m []uint64) error { return Backward(d, s, m, cfg) },
		"Backward nil":     func(d, s []float32, m []uint64) error { return Backward(d, s, nil, cfg) },
		"ForwardExact":     func(d, s []float32, m []uint64) error { _, err := ForwardExact(d, s, m, cfg, 8); return err },
		"BackwardExact":    func(d, s []float32, m []uint64) error { return BackwardExact(d, s, m, cfg, 8) },
		"ForwardChannels":  func(d, s []float32, m []uint64) error { _, err := ForwardChannels(d, s, m, cfg, 8); return err },
		"BackwardChannels": func(d, s []float32, m []uint64) error { return BackwardChannels(d, s, m, cfg, 8) },
		"ForwardAlpha":     func(d, s []float32, m []uint64) error { _, err := ForwardAlpha(d, s, m, cfg); return err },
		"BackwardAlpha":    func(d, s []float32, m []uint64) error { return BackwardAlpha(d, s, m, cfg) },
	}
	for name, call := range calls {
		for _, shift := range []int{1, -1, 16, -33, n - 1, -(n - 1)} {
			buf := make([]float32, 2*n)
			for i := range buf {
				buf[i] = float32(i + 1)
			}
			dstAt, srcAt := n/2+shift/2, n/2+shift/2-shift
			switch shift {
			case n - 1:
				dstAt, srcAt = n-1, 0
			case -(n - 1):
				dstAt, srcAt = 0, n-1
			}
			dst, src := buf[dstAt:dstAt+n], buf[srcAt:srcAt+n]
			mask := []uint64{guardWord}
			err := call(dst, src, mask)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "overlap") {
				t.Errorf("%s, dst at src%+d: err = %v, want an overlap error wrapping ErrInvalid", name, shift, err)
				continue
			}
			for i, x := range buf {
				if x != float32(i+1) {
					t.Errorf("%s, dst at src%+d: buf[%d] written (%v)", name, shift, i, x)
					break
				}
			}
			if mask[0] != guardWord {
				t.Errorf("%s, dst at src%+d: mask written", name, shift)
			}
		}
		// Adjacent slices share no element: accepted.
		buf := make([]float32, 2*n)
		if err := call(buf[n:], buf[:n], []uint64{0}); err != nil {
			t.Errorf("%s on adjacent slices: %v", name, err)
		}
	}
	if _, err := Forward(make([]BFloat16, 40)[1:33], make([]BFloat16, 40)[:32], nil, cfg); err != nil {
		t.Errorf("Forward on distinct 16-bit slices: %v", err)
	}
	h := make([]BFloat16, 40)
	if _, err := Forward(h[1:33], h[:32], nil, cfg); !errors.Is(err, ErrInvalid) {
		t.Errorf("Forward on overlapping 16-bit slices: err = %v", err)
	}
}

// TestApplyScaleRange: a scale beyond float32 is an error only for the types
// that multiply in float32.
func TestApplyScaleRange(t *testing.T) {
	mask := []uint64{1}
	if err := Apply(make([]float64, 1), []float64{1}, mask, 1e300); err != nil {
		t.Errorf("float64, scale 1e300: %v", err)
	}
	if err := Apply(make([]Float16, 1), []Float16{0x3c00}, mask, 1e300); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "dropout.Float16") {
		t.Errorf("Float16, scale 1e300: err = %v, want ErrInvalid naming dropout.Float16", err)
	}
	if err := Apply(make([]BFloat16, 1), []BFloat16{0x3f80}, mask, math.MaxFloat32); err != nil {
		t.Errorf("BFloat16, scale MaxFloat32: %v", err)
	}
}

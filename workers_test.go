package dropout

import (
	"runtime"
	"testing"
	"time"
)

// TestWorkersNoLeak: calls with Workers > 1 leave no goroutine behind.
func TestWorkersNoLeak(t *testing.T) {
	n := 8 * minPerWorker
	src, dst := make([]float32, n), make([]float32, n)
	mask := make([]uint64, Words(n))
	before := runtime.NumGoroutine()
	cfg := Config{Keep: 0.7, Seed: 1, Workers: 4}
	for i := range 20 {
		cfg.Offset = uint64(i) * uint64(n)
		if _, err := Forward(dst, src, mask, cfg); err != nil {
			t.Fatal(err)
		}
		if _, err := ForwardExact(dst, src, nil, cfg, 128); err != nil {
			t.Fatal(err)
		}
		if _, err := ForwardChannels(dst, src, nil, cfg, 16); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if after := runtime.NumGoroutine(); after > before {
		t.Fatalf("%d goroutines before, %d after", before, after)
	}
}

// TestAllocations: a call on one goroutine allocates nothing; with Workers
// it allocates only for the goroutines it starts (a closure each, plus the
// shared join state).
func TestAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	n := 1 << 16
	src, dst := make([]float32, n), make([]float32, n)
	src16, dst16 := make([]BFloat16, n), make([]BFloat16, n)
	mask := make([]uint64, Words(n))
	cfg := Config{Keep: 0.9, Seed: 1}
	calls := map[string]func(){
		"Forward":          func() { Forward(dst, src, mask, cfg) },
		"Forward nil mask": func() { Forward(dst, src, nil, cfg) },
		"Forward bf16":     func() { Forward(dst16, src16, mask, cfg) },
		"GenerateMask":     func() { GenerateMask(mask, n, cfg) },
		"Apply":            func() { Apply(dst, src, mask, 2) },
		"Backward":         func() { Backward(dst, src, nil, cfg) },
		"ForwardExact":     func() { must(ForwardExact(dst, src, nil, cfg, 128)) },
		"ForwardChannels":  func() { must(ForwardChannels(dst, src, nil, cfg, 64)) },
		"ForwardAlpha":     func() { ForwardAlpha(dst, src, nil, cfg) },
	}
	forEachImpl(t, func(t *testing.T) {
		for name, call := range calls {
			if a := testing.AllocsPerRun(20, call); a != 0 {
				t.Errorf("%s: %v allocations per call, want 0", name, a)
			}
		}
		wcfg := cfg
		wcfg.Workers = 2
		if a := testing.AllocsPerRun(20, func() { Forward(dst, src, mask, wcfg) }); a > 6 {
			t.Errorf("Forward with 2 workers: %v allocations per call, want <= 6", a)
		}
	})
}

func must(_ int, err error) {
	if err != nil {
		panic(err)
	}
}

package dropout

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync/atomic"
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
		"Forward Offset 7": func() { Forward(dst, src, mask, Config{Keep: 0.9, Seed: 1, Offset: 7}) },
		"GenerateMask":     func() { GenerateMask(mask, n, cfg) },
		"Apply":            func() { Apply(dst, src, mask, 2) },
		"Backward":         func() { Backward(dst, src, nil, cfg) },
		"ForwardExact":     func() { must(ForwardExact(dst, src, nil, cfg, 128)) },
		"ForwardChannels":  func() { must(ForwardChannels(dst, src, nil, cfg, 64)) },
		"ForwardAlpha":     func() { ForwardAlpha(dst, src, nil, cfg) },
	}
	check := func(t *testing.T) {
		for name, call := range calls {
			if a := testing.AllocsPerRun(20, call); a != 0 {
				t.Errorf("%s: %v allocations per call, want 0", name, a)
			}
		}
	}
	forEachImpl(t, check)

	// The streaming sets, also on dst off a cache line (their fallback).
	streamEverything(t)
	calls["Forward dst off a line"] = func() { Forward(dst[1:], src[1:], mask, cfg) }
	calls["Apply dst off a line"] = func() { Apply(dst[1:], src[1:], mask, 2) }
	calls["ForwardAlpha dst off a line"] = func() { ForwardAlpha(dst[1:], src[1:], nil, cfg) }
	forEachImpl(t, check)
}

// TestAllocationsWorkers: with Workers = 2 a call makes a few allocations
// (its job, the closure of its body, a helper goroutine when none is
// spinning, a scratch buffer for a helper's thread now and then), not one per
// piece. testing.AllocsPerRun cannot measure
// this: it sets GOMAXPROCS to 1, which keeps every call on one goroutine.
func TestAllocationsWorkers(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	n := 1 << 20 // 64 pieces of minPiece at least: allocations per piece would show
	src, dst := make([]float32, n), make([]float32, n)
	mask := make([]uint64, Words(n))
	cfg := Config{Keep: 0.9, Seed: 1, Workers: 2}
	calls := map[string]func(){
		"Forward":         func() { Forward(dst, src, mask, cfg) },
		"GenerateMask":    func() { GenerateMask(mask, n, cfg) },
		"ForwardExact":    func() { must(ForwardExact(dst, src, nil, cfg, 1024)) },
		"ForwardChannels": func() { must(ForwardChannels(dst, src, nil, cfg, 64)) },
		"ForwardAlpha":    func() { ForwardAlpha(dst, src, nil, cfg) },
	}
	for name, call := range calls {
		if a := mallocsPerCall(20, call); a == 0 || a > 6 {
			t.Errorf("%s with 2 workers: %.2f allocations per call, want 1 to 6 (0: the call did not go parallel)", name, a)
		}
	}
}

// mallocsPerCall is the average number of heap allocations of call, counted
// by the runtime across all goroutines, after one warm-up call.
func mallocsPerCall(runs int, call func()) float64 {
	call()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		call()
	}
	runtime.ReadMemStats(&after)
	return float64(after.Mallocs-before.Mallocs) / float64(runs)
}

func must(_ int, err error) {
	if err != nil {
		panic(err)
	}
}

// TestParallelPieces: the pieces cover [0, n) exactly once, start and end on
// multiples of align (or at n), and their results add up.
func TestParallelPieces(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(8))
	for _, workers := range []int{2, 3, 8} {
		for _, align := range []int{1, 64, 1000} {
			for _, n := range []int{1, 63, 64, 65, minPiece, 3*minPiece + 5, 40*minPiece + 17} {
				covered := make([]atomic.Int32, n)
				got := parallel(&genericKernels, workers, n, 1, align, func(lo, hi int) int {
					if lo%align != 0 || (hi%align != 0 && hi != n) || lo >= hi {
						t.Errorf("workers %d, align %d, n %d: piece [%d, %d)", workers, align, n, lo, hi)
					}
					for i := lo; i < hi; i++ {
						covered[i].Add(1)
					}
					return hi - lo
				})
				if got != n {
					t.Errorf("workers %d, align %d, n %d: results add up to %d", workers, align, n, got)
				}
				for i := range covered {
					if c := covered[i].Load(); c != 1 {
						t.Fatalf("workers %d, align %d, n %d: element %d covered %d times", workers, align, n, i, c)
					}
				}
			}
		}
	}
}

// TestWorkersConcurrentCallers: many goroutines calling with Workers at once
// share the spinning helpers (helpers.go) and still get the one-worker
// results.
func TestWorkersConcurrentCallers(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(8))
	n := 4*minPerWorker + 99
	src := testInput[float32](rand.New(rand.NewPCG(7, 8)), n)
	want := make([]float32, n)
	wantMask := make([]uint64, Words(n))
	base := Config{Keep: 0.6, Seed: 77}
	wantKept, err := Forward(want, src, wantMask, base)
	if err != nil {
		t.Fatal(err)
	}
	rounds := 30
	if testing.Short() {
		rounds = 5
	}
	// Parallel subtests, so that the checks may stop their goroutine; the
	// group returns when all of them have.
	t.Run("callers", func(t *testing.T) {
		for g := range 6 {
			t.Run(fmt.Sprint(g), func(t *testing.T) {
				t.Parallel()
				dst, mask := make([]float32, n), make([]uint64, Words(n))
				cfg := base
				cfg.Workers = 2 + g
				for r := range rounds {
					clear(dst)
					clear(mask)
					kept, err := Forward(dst, src, mask, cfg)
					if err != nil {
						t.Fatal(err)
					}
					what := fmt.Sprintf("round %d", r)
					if kept != wantKept {
						t.Errorf("%s: kept %d, want %d", what, kept, wantKept)
					}
					checkSame(t, what, dst, want)
					expectMask(t, what, mask, wantMask)
					if r%7 == 3 {
						time.Sleep(2 * helperSpin) // let the helpers leave
					}
				}
			})
		}
	})
}

// TestParallelPiecesOfRows: pieces are sized in elements, so a call of few
// long units (rows, channel blocks) is still split among the goroutines,
// and no piece but the last is below minPiece elements.
func TestParallelPiecesOfRows(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	for _, unitLen := range []int{1, 64, 1024, 3136, 1 << 15} {
		n := 64 * minPerWorker / unitLen // 2 MiB elements, in units
		if w := workersFor(2, n, unitLen); w != 2 {
			t.Fatalf("unitLen %d: workersFor = %d, want 2", unitLen, w)
		}
		var pieces atomic.Int32
		parallel(&genericKernels, 2, n, unitLen, 1, func(lo, hi int) int {
			pieces.Add(1)
			if hi != n && (hi-lo)*unitLen < minPiece {
				t.Errorf("unitLen %d: piece [%d, %d) of %d elements", unitLen, lo, hi, (hi-lo)*unitLen)
			}
			return 0
		})
		if p := pieces.Load(); p < 4 {
			t.Errorf("unitLen %d, %d units: %d pieces, want at least 4 for two goroutines", unitLen, n, p)
		}
	}
	if w := workersFor(8, 1, 1<<20); w != 1 {
		t.Errorf("one unit of 1Mi elements: workersFor = %d, want 1 (a unit is not split)", w)
	}
}

// TestLateHelperPolling: a helper that finds every piece of its job taken
// polls for another job only when no other helper is polling; one that took
// a piece always does. A job waits in the pool's queue: a polling helper
// runs it. The test's own pool keeps other tests' helpers out.
func TestLateHelperPolling(t *testing.T) {
	newJob := func(taken bool) *job {
		j := &job{k: &genericKernels, n: 64, align: 64, workers: 2, minUnits: 64,
			body: func(lo, hi int) int { return hi - lo }}
		if taken {
			j.next.Store(64)
		}
		return j
	}
	for _, c := range []struct{ late, otherPolling, wantPoll bool }{
		{late: true, otherPolling: true, wantPoll: false},
		{late: true, otherPolling: false, wantPoll: true},
		{late: false, otherPolling: false, wantPoll: true},
	} {
		p := &helperPool{jobs: make(chan *job, 1)}
		if c.otherPolling {
			// A pretended helper, polling and never claimed; the job is
			// sent unclaimed, as a trap for a helper that polls anyway.
			p.idle.Store(1)
		} else {
			p.idle.Store(-1) // claimed as a caller claims the helper about to poll
		}
		queued := newJob(false)
		p.jobs <- queued
		p.helper(newJob(c.late))
		if polled := queued.next.Load() != 0; polled != c.wantPoll {
			t.Errorf("late %v, another helper polling %v: polled %v, want %v", c.late, c.otherPolling, polled, c.wantPoll)
		}
	}
}

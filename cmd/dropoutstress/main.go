// Command dropoutstress measures throughput and latency of Forward under
// many concurrent callers: each of -callers goroutines calls Forward on its
// own float32 tensor of -n elements with Config.Workers = -workers, back to
// back, for -d. It prints calls per second and latency quantiles.
//
// With more callers than GOMAXPROCS the CPUs are oversubscribed, which is
// where helper goroutines (Workers > 1) must not take CPU from the callers.
package main

import (
	"flag"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gokernels/dropout"
)

func main() {
	callers := flag.Int("callers", 16, "concurrent callers")
	workers := flag.Int("workers", 2, "Config.Workers of each call")
	n := flag.Int("n", 1<<17, "elements per call")
	dur := flag.Duration("d", 3*time.Second, "duration")
	flag.Parse()

	var stop atomic.Bool
	var wg sync.WaitGroup
	var mu sync.Mutex
	var lats []time.Duration
	for i := range *callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			src, dst := make([]float32, *n), make([]float32, *n)
			cfg := dropout.Config{Keep: 0.7, Seed: uint64(i), Workers: *workers}
			var mine []time.Duration
			for !stop.Load() {
				t := time.Now()
				if _, err := dropout.Forward(dst, src, nil, cfg); err != nil {
					panic(err)
				}
				mine = append(mine, time.Since(t))
			}
			mu.Lock()
			lats = append(lats, mine...)
			mu.Unlock()
		}()
	}
	time.Sleep(*dur)
	stop.Store(true)
	wg.Wait()

	slices.Sort(lats)
	q := func(f float64) time.Duration { return lats[int(f*float64(len(lats)-1))] }
	fmt.Printf("GOMAXPROCS=%d callers=%d workers=%d n=%d impl=%s: %.0f calls/s, latency p50 %v p99 %v p99.9 %v max %v\n",
		runtime.GOMAXPROCS(0), *callers, *workers, *n, dropout.Impl(), float64(len(lats))/dur.Seconds(),
		q(.5), q(.99), q(.999), q(1))
}

package dropout

import "runtime"

// minPerWorker is the smallest share of a call worth a goroutine: below it,
// starting and joining goroutines costs more than the work saves.
const minPerWorker = 1 << 15

// minPiece is the smallest piece parallel hands out, in elements: a few
// microseconds of work, against well under one for taking a piece.
const minPiece = 1 << 14

// parallel runs body, which writes with k's kernels, over n units of unitLen
// elements (elements, rows or blocks) split into pieces whose boundaries are
// multiples of align units (so pieces never share a mask word), on the
// calling goroutine and up to workers-1 helpers (helpers.go), and returns
// the sum of the results. The pieces compute exactly what one call over
// [0, n) computes: mask v1 is a function of each element's stream index, so
// results do not depend on workers or on how the work was split.
//
// Callers check workersFor first and call their body directly when it is 1,
// so a single-goroutine call allocates nothing (the closure would escape).
func parallel(k *kernels, workers, n, unitLen, align int, body func(lo, hi int) int) int {
	unitLen = max(unitLen, 1)
	minUnits := (minPiece + unitLen - 1) / unitLen
	j := &job{k: k, n: n, minUnits: minUnits, align: align, workers: workers, body: body}
	helpers.start(j, workers-1)
	j.run()
	j.wait()
	return int(j.total.Load())
}

// workersFor is how many goroutines a call of n units of unitLen elements
// should use: at most workers, GOMAXPROCS and n (a unit is never split), and
// no fewer than minPerWorker elements each.
func workersFor(workers, n, unitLen int) int {
	return min(workers, runtime.GOMAXPROCS(0), n, n*max(unitLen, 1)/minPerWorker)
}

// at returns the configuration of the piece starting at element i of a call.
func (c Config) at(i int) Config {
	c.Offset += uint64(i)
	return c
}

// part returns s[lo:hi], or nil for a nil s (mask-only calls have no data).
func part[E any](s []E, lo, hi int) []E {
	if s == nil {
		return nil
	}
	return s[lo:hi]
}

// maskPart returns the mask words of elements [lo, hi) for lo a multiple of 64.
func maskPart(mask []uint64, lo, hi int) []uint64 {
	if mask == nil {
		return nil
	}
	return mask[lo/64 : lo/64+Words(hi-lo)]
}

// forwardCall is forward over a whole call, split across cfg.Workers.
func forwardCall[T Float](k *kernels, dst, src []T, mask []uint64, n int, cfg Config, scale float64, count bool) int {
	if w := workersFor(cfg.Workers, n, 1); w > 1 {
		return parallel(k, w, n, 1, 64, func(lo, hi int) int {
			return forward(k, part(dst, lo, hi), part(src, lo, hi), maskPart(mask, lo, hi), hi-lo, cfg.at(lo), scale, count)
		})
	}
	return forward(k, dst, src, mask, n, cfg, scale, count)
}

// applyCall is apply over a whole call, split across workers.
func applyCall[T Float](k *kernels, workers int, dst, src []T, mask []uint64, scale float64) {
	if w := workersFor(workers, len(src), 1); w > 1 {
		parallel(k, w, len(src), 1, 64, func(lo, hi int) int {
			apply(k, dst[lo:hi], src[lo:hi], maskPart(mask, lo, hi), scale)
			return 0
		})
		return
	}
	apply(k, dst, src, mask, scale)
}

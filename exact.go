package dropout

import "fmt"

// ForwardExact is dropout with exact-count compensation. src is
// len(src)/rowLen rows of rowLen consecutive elements; the mask is mask v1
// for cfg (the bits Forward produces). In row r with k_r kept elements, kept
// elements become x*S_r with S_r = T(rowLen/k_r) (one rounding) and dropped
// ones +0, so each row's kept elements are rescaled by the count actually
// kept rather than by 1/Keep: the sum of a row no longer swings with the
// number of survivors, at the cost of a small bias in E[y] for short rows.
// A row with no kept element is all +0; Keep = 1 returns the input bit for
// bit. It stores the mask unless mask is nil and returns the kept count.
func ForwardExact[T Float](dst, src []T, mask []uint64, cfg Config, rowLen int) (kept int, err error) {
	if err := checkRows(dst, src, mask, cfg, rowLen, "dst", "src"); err != nil {
		return 0, err
	}
	k := kernelsFor(active, dst, src)
	defer k.finish()
	return exact(k, dst, src, mask, cfg, rowLen, true), nil
}

// BackwardExact is the gradient of ForwardExact: the same map applied to dy.
// With a mask it uses the stored bits (and their row counts); with a nil
// mask it regenerates them from cfg. At Keep 0 and 1 the mask is implied by
// cfg and a stored one is not read: dx is all +0, or dy bit for bit.
func BackwardExact[T Float](dx, dy []T, mask []uint64, cfg Config, rowLen int) error {
	if err := checkRows(dx, dy, mask, cfg, rowLen, "dx", "dy"); err != nil {
		return err
	}
	k := kernelsFor(active, dx, dy)
	exact(k, dx, dy, mask, cfg, rowLen, false)
	k.finish()
	return nil
}

func checkRows[T Float](dst, src []T, mask []uint64, cfg Config, rowLen int, dstName, srcName string) error {
	if err := checkPair(dstName, srcName, dst, src); err != nil {
		return err
	}
	if rowLen < 1 || len(src)%rowLen != 0 {
		return fmt.Errorf("%w: rowLen=%d does not divide len(%s)=%d into rows", ErrInvalid, rowLen, srcName, len(src))
	}
	if err := checkConfig(len(src), cfg, srcName, ""); err != nil {
		return err
	}
	if mask != nil {
		return checkMask(mask, len(src))
	}
	return nil
}

// exact runs ForwardExact (generate: the mask, if any, is written) or
// BackwardExact (the mask, if any, is read) and returns the kept count.
func exact[T Float](k *kernels, dst, src []T, mask []uint64, cfg Config, rowLen int, generate bool) int {
	n := len(src)
	if n == 0 {
		return 0
	}
	if mask != nil {
		mask = mask[:Words(n)]
	}
	if impliedMask(cfg.Keep) { // no row needs a count: Forward does the same
		if !generate {
			mask = nil // implied, not read
		}
		return forwardCall(k, dst, src, mask, n, cfg, Scale(cfg.Keep), true)
	}
	rows := n / rowLen
	if mask != nil {
		if generate {
			forwardCall[float32](k, nil, nil, mask, n, cfg, 0, true)
		}
		if w := workersFor(cfg.Workers, rows, rowLen); w > 1 {
			return parallel(k, w, rows, rowLen, 1, func(r0, r1 int) int {
				return exactRows(k, dst, src, mask, 0, rowLen, r0, r1)
			})
		}
		return exactRows(k, dst, src, mask, 0, rowLen, 0, rows)
	}
	if w := workersFor(cfg.Workers, rows, rowLen); w > 1 {
		return parallel(k, w, rows, rowLen, 1, func(r0, r1 int) int {
			return exactRegenerate(k, dst, src, cfg, rowLen, r0, r1)
		})
	}
	return exactRegenerate(k, dst, src, cfg, rowLen, 0, rows)
}

// exactRows scales rows [r0, r1) by their kept counts in mask, whose bit off
// is element 0.
func exactRows[T Float](k *kernels, dst, src []T, mask []uint64, off, rowLen, r0, r1 int) int {
	kept := 0
	for r := r0; r < r1; r++ {
		lo, hi := r*rowLen, (r+1)*rowLen
		count := countBits(mask, off+lo, rowLen)
		applyBits(k, dst[lo:hi], src[lo:hi], mask, off+lo, exactScale(rowLen, count))
		kept += count
	}
	return kept
}

// exactRegenerate is exactRows without a stored mask: short rows are
// handled in batches whose mask is staged on the stack; a row longer than
// the stage is counted in one pass and scaled in a second.
func exactRegenerate[T Float](k *kernels, dst, src []T, cfg Config, rowLen, r0, r1 int) int {
	kept := 0
	if rowLen > 64*scratchWords {
		for r := r0; r < r1; r++ {
			lo, hi := r*rowLen, (r+1)*rowLen
			count := forward[float32](k, nil, nil, nil, rowLen, cfg.at(lo), 0, true)
			forward(k, dst[lo:hi], src[lo:hi], nil, rowLen, cfg.at(lo), exactScale(rowLen, count), false)
			kept += count
		}
		return kept
	}
	s := getScratch()
	defer putScratch(s)
	stage := s.words[:]
	batch := 64 * scratchWords / rowLen
	for a := r0; a < r1; a += batch {
		b := min(a+batch, r1)
		lo, hi := a*rowLen, b*rowLen
		forward[float32](k, nil, nil, stage[:Words(hi-lo)], hi-lo, cfg.at(lo), 0, true)
		kept += exactRows(k, dst[lo:hi], src[lo:hi], stage, 0, rowLen, 0, b-a)
	}
	return kept
}

// exactScale is rowLen/kept in float64 (the kernels convert it to the
// element type: S_r), 0 for a row with nothing kept.
func exactScale(rowLen, kept int) float64 {
	if kept == 0 {
		return 0
	}
	return float64(rowLen) / float64(kept)
}

// applyBits is apply with the mask starting at bit off of mask.
func applyBits[T Float](k *kernels, dst, src []T, mask []uint64, off int, scale float64) {
	if off%64 == 0 {
		apply(k, dst, src, mask[off/64:off/64+Words(len(src))], scale)
		return
	}
	s := getScratch()
	defer putScratch(s)
	for lo := 0; lo < len(src); lo += 64 * scratchWords {
		hi := min(lo+64*scratchWords, len(src))
		extractBits(s.words[:], mask, off+lo, hi-lo)
		apply(k, dst[lo:hi], src[lo:hi], s.words[:Words(hi-lo)], scale)
	}
}

package dropout

import "fmt"

// ForwardChannels is channel dropout (PyTorch Dropout1d/2d/3d and
// feature_dropout, Flax broadcast_dims, TF noise_shape, per-sample drop
// path): src is len(src)/spatial blocks of spatial consecutive elements
// (NCHW with spatial = H*W; drop path with spatial = features per sample),
// and whole blocks are kept or dropped. Block j is kept iff bit j of the
// mask, which is mask v1 over blocks: stream element cfg.Offset+j decides
// block j. Kept blocks are scaled by T(Scale(cfg.Keep)), dropped blocks are
// +0. The mask has Words(len(src)/spatial) words; kept counts blocks.
func ForwardChannels[T Float](dst, src []T, mask []uint64, cfg Config, spatial int) (kept int, err error) {
	if err := checkBlocks(dst, src, mask, cfg, spatial, "dst", "src"); err != nil {
		return 0, err
	}
	k := kernelsFor(active, dst, src)
	defer k.finish()
	return channels(k, dst, src, mask, cfg, spatial, true), nil
}

// BackwardChannels is the gradient of ForwardChannels: with a block mask it
// applies it; with a nil mask it regenerates it from cfg. At Keep 0 and 1
// the mask is implied by cfg and a stored one is not read.
func BackwardChannels[T Float](dx, dy []T, mask []uint64, cfg Config, spatial int) error {
	if err := checkBlocks(dx, dy, mask, cfg, spatial, "dx", "dy"); err != nil {
		return err
	}
	k := kernelsFor(active, dx, dy)
	channels(k, dx, dy, mask, cfg, spatial, false)
	k.finish()
	return nil
}

func checkBlocks[T Float](dst, src []T, mask []uint64, cfg Config, spatial int, dstName, srcName string) error {
	if err := checkPair(dstName, srcName, dst, src); err != nil {
		return err
	}
	if spatial < 1 || len(src)%spatial != 0 {
		return fmt.Errorf("%w: spatial=%d does not divide len(%s)=%d into blocks", ErrInvalid, spatial, srcName, len(src))
	}
	blocks := len(src) / spatial
	if err := checkConfig(blocks, cfg, srcName, "/spatial"); err != nil {
		return err
	}
	if mask != nil {
		return checkMask(mask, blocks)
	}
	return nil
}

// channels runs ForwardChannels (generate: the mask, if any, is written) or
// BackwardChannels (the mask, if any, is read); it returns the kept blocks.
func channels[T Float](k *kernels, dst, src []T, mask []uint64, cfg Config, spatial int, generate bool) int {
	blocks := len(src) / spatial
	if blocks == 0 {
		return 0
	}
	raceRead(src)
	raceWrite(dst)
	if mask != nil {
		mask = mask[:Words(blocks)]
	}
	scale := Scale(cfg.Keep)
	switch threshold(cfg.Keep) { // the implied masks: a stored one is not read
	case 0:
		clear(dst)
		if generate {
			clear(mask)
		}
		return 0
	case 1 << 32:
		copy(dst, src)
		if generate {
			fillMask(mask, blocks)
		}
		return blocks
	}
	if mask != nil {
		if generate {
			forwardCall[float32](k, nil, nil, mask, blocks, cfg, 0, true)
		}
		if w := workersFor(cfg.Workers, blocks, spatial); w > 1 {
			parallel(k, w, blocks, spatial, 1, func(b0, b1 int) int {
				scaleBlocks(k, dst, src, mask, b0, b0, b1, spatial, scale)
				return 0
			})
		} else {
			scaleBlocks(k, dst, src, mask, 0, 0, blocks, spatial, scale)
		}
		return countBits(mask, 0, blocks)
	}
	if w := workersFor(cfg.Workers, blocks, spatial); w > 1 {
		return parallel(k, w, blocks, spatial, 64, func(b0, b1 int) int {
			return channelsRegenerate(k, dst, src, cfg, spatial, scale, b0, b1)
		})
	}
	return channelsRegenerate(k, dst, src, cfg, spatial, scale, 0, blocks)
}

// channelsRegenerate is channels without a stored mask for blocks [b0, b1):
// block bits are staged chunk by chunk.
func channelsRegenerate[T Float](k *kernels, dst, src []T, cfg Config, spatial int, scale float64, b0, b1 int) int {
	s := getScratch()
	defer putScratch(s)
	kept := 0
	for a := b0; a < b1; a += 64 * scratchWords {
		b := min(a+64*scratchWords, b1)
		kept += forward[float32](k, nil, nil, s.words[:Words(b-a)], b-a, cfg.at(a), 0, true)
		scaleBlocks(k, dst, src, s.words[:], 0, a, b, spatial, scale)
	}
	return kept
}

// scaleBlocks scales kept blocks [b0, b1) and zeroes dropped ones; bit
// maskOff of blockMask is block b0. It expands block bits into an element
// mask chunk by chunk, so one apply kernel call covers many small blocks,
// and it sets the bits of each run of kept blocks at once.
func scaleBlocks[T Float](k *kernels, dst, src []T, blockMask []uint64, maskOff, b0, b1, spatial int, scale float64) {
	s := getScratch()
	defer putScratch(s)
	elems := s.elems[:]
	end := b1 * spatial
	bitOf := maskOff - b0 // block j is bit j+bitOf of blockMask
	for lo := b0 * spatial; lo < end; lo += 64 * scratchWords {
		hi := min(lo+64*scratchWords, end)
		clear(elems)
		limit := (hi+spatial-1)/spatial + bitOf // past the last block in [lo, hi)
		for i := lo/spatial + bitOf; ; {
			first := nextBit(blockMask, i, limit, 1)
			if first == limit {
				break
			}
			i = nextBit(blockMask, first, limit, 0) // kept blocks [first, i)
			setBits(elems, max((first-bitOf)*spatial, lo)-lo, min((i-bitOf)*spatial, hi)-lo)
		}
		apply(k, dst[lo:hi], src[lo:hi], elems[:Words(hi-lo)], scale)
	}
}

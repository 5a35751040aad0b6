package dropout

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"unsafe"
)

// TestStreamingKernels runs Forward, Backward and Apply through the
// non-temporal kernels (normally used from 16 MiB on) on small inputs of
// every element type, with dst 64-byte aligned so the streaming
// stores really run, against the reference, with guards.
func TestStreamingKernels(t *testing.T) {
	streamEverything(t)
	t.Run("float32", streamingKernels[float32])
	t.Run("float64", streamingKernels[float64])
	t.Run("bfloat16", streamingKernels[BFloat16])
	t.Run("float16", streamingKernels[Float16])
}

// streamEverything makes every call of the test large enough to stream.
func streamEverything(t *testing.T) {
	saved := streamMinBytes
	streamMinBytes = 1
	t.Cleanup(func() { streamMinBytes = saved })
}

func streamingKernels[T Float](t *testing.T) {
	rng := rand.New(rand.NewPCG(51, 52))
	src := testInput[T](rng, 5000)
	forEachImpl(t, func(t *testing.T) {
		for _, n := range []int{1, 31, 32, 64, 100, 512, 1000, 4096, 4097, 5000} {
			for _, off := range []uint64{0, 7, 32, 1<<37 - 50} {
				cfg := Config{Keep: 0.6, Seed: uint64(n), Offset: off}
				kept := refBits(cfg, n)
				name := fmt.Sprintf("n=%d offset=%d", n, off)

				dst, buf, lead := alignedGuarded[T](n)
				mask := guardedMask(n)
				got, err := Forward(dst, src[:n], mask, cfg)
				if err != nil || got != countTrue(kept) {
					t.Fatalf("%s: Forward = %d, %v", name, got, err)
				}
				checkSame(t, name+": Forward", dst, refOutput(src[:n], kept, cfg.Keep))
				checkGuards(t, name+": Forward", buf, lead, n)
				expectMask(t, name+": Forward", mask, refMask(kept))

				dst, buf, lead = alignedGuarded[T](n)
				if err := Apply(dst, src[:n], refMask(kept), 1.75); err != nil {
					t.Fatal(err)
				}
				checkSame(t, name+": Apply", dst, refApply(src[:n], refMask(kept), 1.75))
				checkGuards(t, name+": Apply", buf, lead, n)
			}
		}
	})
}

// alignedGuarded returns n elements starting on a 64-byte boundary inside a
// guarded buffer.
func alignedGuarded[T Float](n int) (s, buf []T, lead int) {
	buf = make([]T, n+64)
	for i := range buf {
		buf[i] = sentinel[T]()
	}
	for lead = 1; uintptr(unsafe.Pointer(&buf[lead]))%64 != 0; lead++ {
	}
	return buf[lead : lead+n : lead+n], buf, lead
}

// TestStreamingVariants runs channel and alpha dropout, whose inner kernel
// calls are chunks of one large call, through the non-temporal kernels with
// dst 64-byte aligned, against their references, with guards; and
// exact-count dropout, which keeps the cached kernels, in the same setting.
func TestStreamingVariants(t *testing.T) {
	streamEverything(t)
	t.Run("float32", streamingVariants[float32])
	t.Run("float64", streamingVariants[float64])
	t.Run("bfloat16", streamingVariants[BFloat16])
	t.Run("float16", streamingVariants[Float16])
}

func streamingVariants[T Float](t *testing.T) {
	rng := rand.New(rand.NewPCG(53, 54))
	forEachImpl(t, func(t *testing.T) {
		for _, shape := range [][2]int{{4, 1024}, {7, 49}, {3, 4097}, {50, 64}, {2, 100}} {
			rows, rowLen := shape[0], shape[1]
			n := rows * rowLen
			src := testInput[T](rng, n)
			for _, withMask := range []bool{true, false} {
				cfg := Config{Keep: 0.7, Seed: rng.Uint64(), Offset: uint64(rng.IntN(200))}
				kept, blockKept := refBits(cfg, n), refBits(cfg, rows)
				what := fmt.Sprintf("rows %d x %d mask=%v", rows, rowLen, withMask)
				var mask, blockMask []uint64
				if withMask {
					mask, blockMask = make([]uint64, Words(n)), make([]uint64, Words(rows))
				}

				cases := []struct {
					name       string
					run        func(dst []T) (int, error)
					want       []T
					kept       int
					mask, bits []uint64 // the mask written and its expected words
				}{
					{"ForwardExact", func(d []T) (int, error) { return ForwardExact(d, src, mask, cfg, rowLen) },
						refExact(src, kept, rowLen, cfg.Keep), countTrue(kept), mask, refMask(kept)},
					{"ForwardChannels", func(d []T) (int, error) { return ForwardChannels(d, src, blockMask, cfg, rowLen) },
						refChannels(src, blockKept, rowLen, cfg.Keep), countTrue(blockKept), blockMask, refMask(blockKept)},
					{"ForwardAlpha", func(d []T) (int, error) { return ForwardAlpha(d, src, mask, cfg) },
						refAlpha(src, kept, cfg.Keep), countTrue(kept), mask, refMask(kept)},
				}
				for _, c := range cases {
					dst, buf, lead := alignedGuarded[T](n)
					if got, err := c.run(dst); err != nil || got != c.kept {
						t.Fatalf("%s: %s = %d, %v; want %d", what, c.name, got, err, c.kept)
					}
					checkSame(t, what+": "+c.name, dst, c.want)
					checkGuards(t, what+": "+c.name, buf, lead, n)
					if c.mask != nil {
						expectMask(t, what+": "+c.name, c.mask, c.bits)
					}
				}
			}
		}
	})
}

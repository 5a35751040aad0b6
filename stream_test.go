package dropout

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
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
				if err := Backward(dst, src[:n], nil, cfg); err != nil {
					t.Fatal(err)
				}
				checkSame(t, name+": Backward", dst, refOutput(src[:n], kept, cfg.Keep))
				checkGuards(t, name+": Backward", buf, lead, n)

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

// TestStreamingSkewed runs Forward, Apply and ForwardAlpha through the
// streaming sets with dst off a 64-byte boundary (their ordinary-store
// fallback), on calls of several kernel calls and driver chunks, against
// the reference, with guards.
func TestStreamingSkewed(t *testing.T) {
	if !slices.ContainsFunc(implementations, func(k *kernels) bool { return k.stream != nil }) {
		t.Skip("no kernel set of this CPU streams")
	}
	streamEverything(t)
	t.Run("float32", streamingSkewed[float32])
	t.Run("float64", streamingSkewed[float64])
	t.Run("bfloat16", streamingSkewed[BFloat16])
	t.Run("float16", streamingSkewed[Float16])
}

func streamingSkewed[T Float](t *testing.T) {
	rng := rand.New(rand.NewPCG(55, 56))
	const n = 3*16384 + 1000
	src := testInput[T](rng, n)
	mask := make([]uint64, Words(n))
	forEachImpl(t, func(t *testing.T) {
		for _, off := range []uint64{0, 7} {
			cfg := Config{Keep: 0.6, Seed: 77, Offset: off}
			kept := refBits(cfg, n)
			calls := []struct {
				name string
				run  func(dst []T) error
				want []T
			}{
				{"Forward", func(d []T) error { _, err := Forward(d, src, mask, cfg); return err }, refOutput(src, kept, cfg.Keep)},
				{"Apply", func(d []T) error { return Apply(d, src, refMask(kept), 1.75) }, refApply(src, refMask(kept), 1.75)},
				{"ForwardAlpha", func(d []T) error { _, err := ForwardAlpha(d, src, mask, cfg); return err }, refAlpha(src, kept, cfg.Keep)},
			}
			for _, c := range calls {
				for _, skew := range []int{1, 7} {
					dst, buf, lead := skewedGuarded[T](n, skew)
					name := fmt.Sprintf("%s offset %d, dst %d elements past a 64-byte boundary", c.name, off, skew)
					if err := c.run(dst); err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					checkSame(t, name, dst, c.want)
					checkGuards(t, name, buf, lead, n)
				}
			}
		}
	})
}

// skewedGuarded returns n elements starting skew elements past a 64-byte
// boundary inside a guarded buffer.
func skewedGuarded[T Float](n, skew int) (s, buf []T, lead int) {
	_, buf, lead = alignedGuarded[T](n + skew)
	lead += skew
	return buf[lead : lead+n : lead+n], buf, lead
}

// TestStreamingVariants runs exact-count, channel and alpha dropout, whose
// inner kernel calls are rows or chunks of one large call, through the
// non-temporal kernels with dst 64-byte aligned, against their references,
// with guards.
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
					// dst 64-byte aligned (non-temporal stores), then one
					// element off (the streaming set's fallback to ordinary
					// stores).
					for _, skew := range []int{0, 1} {
						dst, buf, lead := skewedGuarded[T](n, skew)
						name := fmt.Sprintf("%s: %s, dst %d elements past a 64-byte boundary", what, c.name, skew)
						if got, err := c.run(dst); err != nil || got != c.kept {
							t.Fatalf("%s = %d, %v; want %d", name, got, err, c.kept)
						}
						checkSame(t, name, dst, c.want)
						checkGuards(t, name, buf, lead, n)
						if c.mask != nil {
							expectMask(t, name, c.mask, c.bits)
						}
					}
				}
			}
		}
	})
}

// TestStreamingFenced: every public function that writes through a
// streaming set fences its non-temporal stores on each goroutine that made
// them before it returns; on one goroutine, once per call, not once per
// kernel call. The streaming kernels are wrapped to count, per goroutine,
// the kernel calls not yet fenced.
func TestStreamingFenced(t *testing.T) {
	streamEverything(t)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	for _, k := range implementations {
		if k.stream == nil {
			continue
		}
		t.Run(k.name, func(t *testing.T) {
			var mu sync.Mutex
			unfenced := map[int]int{} // by goroutine
			var streamed, fences int
			mark := func() {
				mu.Lock()
				unfenced[goroutineID()]++
				streamed++
				mu.Unlock()
			}
			s := *k.stream
			s.forward32, s.forward64 = after6(s.forward32, mark), after6(s.forward64, mark)
			s.forwardBF16, s.forwardF16 = after6(s.forwardBF16, mark), after6(s.forwardF16, mark)
			s.apply32, s.apply64 = after4(s.apply32, mark), after4(s.apply64, mark)
			s.applyBF16, s.applyF16 = after4(s.applyBF16, mark), after4(s.applyF16, mark)
			s.affine32, s.affine64 = after6(s.affine32, mark), after6(s.affine64, mark)
			s.affineBF16, s.affineF16 = after6(s.affineBF16, mark), after6(s.affineF16, mark)
			s.fence = func() {
				k.stream.fence()
				mu.Lock()
				unfenced[goroutineID()] = 0
				fences++
				mu.Unlock()
			}
			wrapped := *k
			wrapped.stream = &s
			saved := active
			active = &wrapped
			defer func() { active = saved }()

			const rows, rowLen = 8, 8192 // several chunks (32Ki elements, 4Ki for the variants), rows and pieces
			n := rows * rowLen
			src, dst := make([]BFloat16, n), make([]BFloat16, n)
			src32, dst32 := make([]float32, n), make([]float32, n)
			mask, blockMask := make([]uint64, Words(n)), make([]uint64, 1)
			for _, workers := range []int{1, 2} {
				cfg := Config{Keep: 0.7, Seed: 9, Workers: workers}
				calls := []struct {
					name string
					call func() error
				}{
					{"Forward", func() error { _, err := Forward(dst32, src32, mask, cfg); return err }},
					{"Forward bfloat16", func() error { _, err := Forward(dst, src, mask, cfg); return err }},
					{"Apply", func() error { return Apply(dst, src, mask, 2) }},
					{"Backward", func() error { return Backward(dst32, src32, mask, cfg) }},
					{"Backward nil mask", func() error { return Backward(dst32, src32, nil, cfg) }},
					{"ForwardExact", func() error { _, err := ForwardExact(dst32, src32, mask, cfg, rowLen); return err }},
					{"BackwardExact", func() error { return BackwardExact(dst, src, mask, cfg, rowLen) }},
					{"ForwardChannels", func() error { _, err := ForwardChannels(dst32, src32, blockMask, cfg, rowLen); return err }},
					{"BackwardChannels", func() error { return BackwardChannels(dst, src, nil, cfg, rowLen) }},
					{"ForwardAlpha", func() error { _, err := ForwardAlpha(dst32, src32, mask, cfg); return err }},
					{"BackwardAlpha", func() error { return BackwardAlpha(dst, src, mask, cfg) }},
				}
				for _, c := range calls {
					mu.Lock()
					clear(unfenced)
					streamed, fences = 0, 0
					mu.Unlock()
					if err := c.call(); err != nil {
						t.Fatalf("%s: %v", c.name, err)
					}
					mu.Lock()
					left := 0
					for _, u := range unfenced {
						left += u
					}
					if streamed == 0 || left != 0 || (workers == 1 && fences != 1) {
						t.Errorf("%s, Workers %d: %d streaming kernel calls on %d goroutines, %d unfenced at return, %d fences; want some, 0 and (one goroutine) 1",
							c.name, workers, streamed, len(unfenced), left, fences)
					}
					mu.Unlock()
				}
			}
		})
	}
}

// goroutineID returns the running goroutine's number, from its stack trace
// (tests only).
func goroutineID() int {
	var buf [64]byte
	line := string(buf[:runtime.Stack(buf[:], false)])
	id, _ := strconv.Atoi(strings.Fields(strings.TrimPrefix(line, "goroutine "))[0])
	return id
}

// after4 and after6 return f followed by mark.
func after4[A, B, C, D any](f func(A, B, C, D), mark func()) func(A, B, C, D) {
	return func(a A, b B, c C, d D) { f(a, b, c, d); mark() }
}

func after6[A, B, C, D, E, F any](f func(A, B, C, D, E, F), mark func()) func(A, B, C, D, E, F) {
	return func(a A, b B, c C, d D, e E, f2 F) { f(a, b, c, d, e, f2); mark() }
}

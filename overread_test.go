//go:build linux

package dropout

import (
	"math/rand/v2"
	"syscall"
	"testing"
	"unsafe"
)

// TestNoOverRead: every public function reads and writes only its slices.
// The guards around buffers elsewhere catch stray writes; here src, dst and
// the mask end exactly where an unmapped (PROT_NONE) page begins, so reading
// even one byte past them faults. Lengths run around every vector width and
// stream streaming kernels too (dst is then page-aligned at the start).
func TestNoOverRead(t *testing.T) {
	streamEverything(t)
	t.Run("float32", noOverRead[float32])
	t.Run("float64", noOverRead[float64])
	t.Run("bfloat16", noOverRead[BFloat16])
	t.Run("float16", noOverRead[Float16])
}

func noOverRead[T Float](t *testing.T) {
	rng := rand.New(rand.NewPCG(61, 62))
	forEachImpl(t, func(t *testing.T) {
		for _, n := range []int{1, 7, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 256, 257, 511, 513, 1000, 4097} {
			src := atPageEnd[T](t, n)
			copy(src, testInput[T](rng, n))
			dst := atPageEnd[T](t, n)
			mask := atPageEnd[uint64](t, Words(n))
			cfg := Config{Keep: 0.7, Seed: uint64(n), Offset: uint64(rng.IntN(100))}
			rowLen := 1
			for _, d := range []int{64, 33, 7} {
				if n%d == 0 {
					rowLen = d
					break
				}
			}
			calls := []func() error{
				func() error { _, err := Forward(dst, src, mask, cfg); return err },
				func() error { _, err := Forward(src, src, mask, cfg); return err },
				func() error { _, err := GenerateMask(mask, n, cfg); return err },
				func() error { return Apply(dst, src, mask, 1.5) },
				func() error { return Backward(dst, src, nil, cfg) },
				func() error { return Backward(dst, src, mask, cfg) },
				func() error { _, err := ForwardExact(dst, src, mask, cfg, rowLen); return err },
				func() error { return BackwardExact(dst, src, mask, cfg, rowLen) },
				func() error { _, err := ForwardChannels(dst, src, mask, cfg, rowLen); return err },
				func() error { return BackwardChannels(dst, src, mask, cfg, rowLen) },
				func() error { _, err := ForwardAlpha(dst, src, mask, cfg); return err },
				func() error { return BackwardAlpha(dst, src, mask, cfg) },
			}
			for i, call := range calls {
				if err := call(); err != nil {
					t.Fatalf("n=%d, call %d: %v", n, i, err)
				}
			}
		}
	})
}

// atPageEnd returns n elements that end where a PROT_NONE page begins. The
// memory is mapped outside the Go heap and unmapped when the test ends.
func atPageEnd[E any](t *testing.T, n int) []E {
	t.Helper()
	page := syscall.Getpagesize()
	size := int(unsafe.Sizeof(*new(E))) * n
	data := (size + page - 1) / page * page
	mem, err := syscall.Mmap(-1, 0, data+page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Skipf("mmap: %v", err)
	}
	t.Cleanup(func() { syscall.Munmap(mem) })
	if err := syscall.Mprotect(mem[data:], syscall.PROT_NONE); err != nil {
		t.Skipf("mprotect: %v", err)
	}
	return unsafe.Slice((*E)(unsafe.Pointer(&mem[data-size])), n)
}

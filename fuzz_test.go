package dropout

import (
	"encoding/binary"
	"math"
	"testing"
)

// FuzzKernels compares every implementation with the slow reference on
// fuzzer-chosen bytes as float32 input, offset, seed and keep.
func FuzzKernels(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8}, uint64(0), uint64(1), 0.5)
	f.Add(make([]byte, 4*300), uint64(31), uint64(7), 0.9)
	f.Add([]byte{0, 0, 0xc0, 0x7f, 0, 0, 0x80, 0xff}, uint64(1<<37-3), uint64(0), 1-1e-9)
	f.Fuzz(func(t *testing.T, data []byte, offset, seed uint64, keep float64) {
		if !(keep >= 0 && keep <= 1) || len(data) > 4*5000 {
			return
		}
		n := len(data) / 4
		if offset > math.MaxUint64-uint64(n) {
			offset = math.MaxUint64 - uint64(n)
		}
		src := make([]float32, n)
		for i := range src {
			src[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		}
		cfg := Config{Keep: keep, Seed: seed, Offset: offset}
		checkImplementations(t, src, cfg, refBits(cfg, n), -1.5)
	})
}

// checkImplementations compares every implementation's forward (output,
// mask, kept count; and with no mask, output and count) and its apply with
// the given scale with the reference.
func checkImplementations[T Float](t *testing.T, src []T, cfg Config, kept []bool, scale float64) {
	n := len(src)
	wantMask, want := refMask(kept), refOutput(src, kept, cfg.Keep)
	for _, k := range testedKernels() {
		dst := make([]T, n)
		if got := forward(k, dst, src, nil, n, cfg, Scale(cfg.Keep), true); got != countTrue(kept) {
			t.Fatalf("%s, no mask: kept %d, want %d", k.name, got, countTrue(kept))
		}
		checkSame(t, k.name+", no mask", dst, want)
		clear(dst)
		mask := make([]uint64, Words(n))
		if got := forward(k, dst, src, mask, n, cfg, Scale(cfg.Keep), true); got != countTrue(kept) {
			t.Fatalf("%s: kept %d, want %d", k.name, got, countTrue(kept))
		}
		expectMask(t, k.name, mask, wantMask)
		checkSame(t, k.name, dst, want)
		apply(k, dst, src, wantMask, scale)
		checkSame(t, k.name+" apply", dst, refApply(src, wantMask, scale))
	}
}

// FuzzKernels16 does the same for the 16-bit types: the fuzzer's bytes are
// bfloat16 and float16 bit patterns, and Apply's scale is fuzzed too, so that
// products fall on every rounding case, subnormals and overflow included.
func FuzzKernels16(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8}, uint64(0), uint64(1), 0.5, float32(-1.5))
	f.Add(make([]byte, 2*300), uint64(31), uint64(7), 0.9, float32(3e-39))
	f.Add([]byte{0xc0, 0x7f, 0x80, 0xff, 1, 0, 0xff, 0x7b}, uint64(1<<37-3), uint64(0), 1-1e-9, float32(65520))
	f.Fuzz(func(t *testing.T, data []byte, offset, seed uint64, keep float64, scale float32) {
		if !(keep >= 0 && keep <= 1) || len(data) > 2*5000 || scale != scale {
			return
		}
		n := len(data) / 2
		if offset > math.MaxUint64-uint64(n) {
			offset = math.MaxUint64 - uint64(n)
		}
		cfg := Config{Keep: keep, Seed: seed, Offset: offset}
		kept := refBits(cfg, n)
		fuzz16[BFloat16](t, data, n, cfg, kept, float64(scale))
		fuzz16[Float16](t, data, n, cfg, kept, float64(scale))
	})
}

// fuzz16 checks every implementation on data read as 16-bit patterns of
// type T.
func fuzz16[T BFloat16 | Float16](t *testing.T, data []byte, n int, cfg Config, kept []bool, scale float64) {
	src := make([]T, n)
	for i := range src {
		src[i] = T(binary.LittleEndian.Uint16(data[2*i:]))
	}
	checkImplementations(t, src, cfg, kept, scale)
}

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
		kept := refBits(cfg, n)
		wantMask, want := refMask(kept), refOutput(src, kept, keep)
		for _, k := range implementations {
			dst := make([]float32, n)
			mask := make([]uint64, Words(n))
			got := forward(k, dst, src, mask, n, cfg, Scale(keep))
			if got != countTrue(kept) {
				t.Fatalf("%s: kept %d, want %d", k.name, got, countTrue(kept))
			}
			expectMask(t, k.name, mask, wantMask)
			checkSame(t, k.name, dst, want)
			apply(k, dst, src, wantMask, -1.5)
			checkSame(t, k.name+" apply", dst, refApply(src, wantMask, -1.5))
		}
	})
}

package dropout

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"
)

// TestPackPairs checks packPairs against a word-by-word reference on both of
// its paths: the group words viewed as mask words (8-byte aligned) and the
// loop (misaligned, as on big-endian machines), with guard words around the
// mask words it writes.
func TestPackPairs(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	backing := make([]uint64, 40)
	for pairs := 0; pairs <= 16; pairs++ {
		for _, misaligned := range []bool{false, true} {
			all := unsafeUint32s(backing)
			g := all[:2*pairs]
			if misaligned {
				g = all[1 : 1+2*pairs]
			}
			if viewed := pairsAsWords(g) != nil; viewed != (littleEndian && !misaligned) && pairs > 0 {
				t.Fatalf("pairs=%d misaligned=%v: pairsAsWords viewed the words: %v", pairs, misaligned, viewed)
			}
			for i := range g {
				g[i] = rng.Uint32()
			}
			want, wantKept := make([]uint64, pairs), 0
			for i := range want {
				want[i] = uint64(g[2*i]) | uint64(g[2*i+1])<<32
				wantKept += bits.OnesCount64(want[i])
			}
			const w = 3
			mask := guardedMask(64 * (w + pairs)) // w + pairs words and 2 guards
			if got := packPairs(mask, w, g); got != wantKept {
				t.Fatalf("pairs=%d misaligned=%v: kept %d, want %d", pairs, misaligned, got, wantKept)
			}
			expectMask(t, fmt.Sprintf("pairs=%d misaligned=%v", pairs, misaligned), mask, guardedFrom(w, want))
			if got := packPairs(nil, 0, g); got != wantKept {
				t.Fatalf("pairs=%d misaligned=%v, nil mask: kept %d, want %d", pairs, misaligned, got, wantKept)
			}
		}
	}
}

// guardedFrom returns the mask a packing from word w should leave: w guard
// words, then want.
func guardedFrom(w int, want []uint64) []uint64 {
	return append(slices.Repeat([]uint64{guardWord}, w), want...)
}

// unsafeUint32s returns the memory of w as uint32s (8-byte aligned).
func unsafeUint32s(w []uint64) []uint32 {
	return unsafe.Slice((*uint32)(unsafe.Pointer(&w[0])), 2*len(w))
}

// BenchmarkPackPairs packs one driver chunk of group words (1024 groups,
// 512 mask words), as Forward does every 32Ki elements.
func BenchmarkPackPairs(b *testing.B) {
	g, mask := packBenchChunk(b)
	for b.Loop() {
		packPairs(mask, 0, g)
	}
}

// packBenchChunk returns one driver chunk of random group words (in scratch
// memory, as the driver has them) and a mask for them.
func packBenchChunk(b *testing.B) ([]uint32, []uint64) {
	sc := getScratch()
	b.Cleanup(func() { putScratch(sc) })
	g := sc.groups[:chunkGroups]
	rng := rand.New(rand.NewPCG(9, 10))
	for i := range g {
		g[i] = rng.Uint32()
	}
	b.SetBytes(8 * chunkGroups / 2)
	return g, make([]uint64, chunkGroups/2)
}

// TestPackShifted checks packShifted (calls whose Offset is not a multiple
// of 32) against a word-by-word reference on both of its paths, with and
// without a mask, with guard words around the mask words it writes.
func TestPackShifted(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	backing := make([]uint64, 40)
	for pairs := 0; pairs <= 16; pairs++ {
		for _, shift := range []uint{1, 6, 31} {
			// Odd shifts take the group words misaligned (as big-endian
			// machines take them all): the loop instead of the view.
			g := unsafeUint32s(backing)[shift%2 : int(shift%2)+2*pairs]
			for i := range g {
				g[i] = rng.Uint32()
			}
			pending0 := rng.Uint64()
			want, wantKept, pending := make([]uint64, pairs), 0, pending0
			for i := range want {
				word := uint64(g[2*i]) | uint64(g[2*i+1])<<32
				want[i] = pending>>shift | word<<(64-shift)
				wantKept += bits.OnesCount64(want[i])
				pending = word
			}
			const w = 3
			mask := guardedMask(64 * (w + pairs))
			kept, next := packShifted(mask, w, g, pending0, shift)
			if kept != wantKept || next != pending {
				t.Fatalf("pairs=%d shift=%d: kept %d, next %#x; want %d, %#x", pairs, shift, kept, next, wantKept, pending)
			}
			expectMask(t, fmt.Sprintf("pairs=%d shift=%d", pairs, shift), mask, guardedFrom(w, want))
			if kept, next := packShifted(nil, 0, g, pending0, shift); kept != wantKept || next != pending {
				t.Fatalf("pairs=%d shift=%d, nil mask: kept %d, next %#x; want %d, %#x", pairs, shift, kept, next, wantKept, pending)
			}
		}
	}
}

// BenchmarkPackShifted packs one driver chunk of group words for a call
// whose Offset is not a multiple of 32, into a mask and (a nil mask, as in
// Forward without one) for the kept count only.
func BenchmarkPackShifted(b *testing.B) {
	b.Run("mask", func(b *testing.B) {
		g, mask := packBenchChunk(b)
		for b.Loop() {
			packShifted(mask, 0, g, 1, 7)
		}
	})
	b.Run("count", func(b *testing.B) {
		g, _ := packBenchChunk(b)
		for b.Loop() {
			packShifted(nil, 0, g, 1, 7)
		}
	})
}

// TestOnesCount checks the count packPairs uses (on amd64 with POPCNT the
// assembly loop) against onesCountGo, for every length around its unrolling
// and at every word offset.
func TestOnesCount(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	ws := make([]uint64, 48)
	for i := range ws {
		ws[i] = rng.Uint64()
	}
	ws[5], ws[6] = 0, ^uint64(0)
	for off := 0; off < 8; off++ {
		for n := 0; off+n <= len(ws); n++ {
			if got, want := onesCount(ws[off:off+n]), onesCountGo(ws[off:off+n]); got != want {
				t.Fatalf("onesCount(ws[%d:%d]) = %d, want %d", off, off+n, got, want)
			}
		}
	}
}

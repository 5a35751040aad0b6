package dropout

import (
	"math/rand/v2"
	"testing"
)

func TestBitHelpers(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	mask := make([]uint64, 8)
	for i := range mask {
		mask[i] = rng.Uint64()
	}
	bit := func(m []uint64, i int) uint64 { return m[i/64] >> (i % 64) & 1 }
	for off := 0; off < 200; off++ {
		for _, n := range []int{0, 1, 5, 63, 64, 65, 128, 300} {
			if off+n > 512 {
				continue
			}
			want := 0
			for i := off; i < off+n; i++ {
				want += int(bit(mask, i))
			}
			if got := countBits(mask, off, n); got != want {
				t.Fatalf("countBits(off %d, n %d) = %d, want %d", off, n, got, want)
			}
			dst := make([]uint64, Words(n)+1)
			dst[len(dst)-1] = guardWord
			extractBits(dst, mask, off, n)
			for i := 0; i < 64*Words(n); i++ {
				want := uint64(0)
				if i < n {
					want = bit(mask, off+i)
				}
				if bit(dst, i) != want {
					t.Fatalf("extractBits(off %d, n %d): bit %d = %d, want %d", off, n, i, bit(dst, i), want)
				}
			}
			if dst[len(dst)-1] != guardWord {
				t.Fatalf("extractBits wrote past Words(n)")
			}
			for _, v := range []uint64{0, 1} {
				want := off + n
				for i := off; i < off+n; i++ {
					if bit(mask, i) == v {
						want = i
						break
					}
				}
				if got := nextBit(mask, off, off+n, v); got != want {
					t.Fatalf("nextBit(%d, %d, %d) = %d, want %d", off, off+n, v, got, want)
				}
			}
			set := make([]uint64, 8)
			setBits(set, off, off+n)
			for i := 0; i < 512; i++ {
				want := uint64(0)
				if i >= off && i < off+n {
					want = 1
				}
				if bit(set, i) != want {
					t.Fatalf("setBits(%d, %d): bit %d = %d", off, off+n, i, bit(set, i))
				}
			}
		}
	}
}

// TestNextBitSparse: nextBit across whole words of the other value, both
// ways, against a bit-by-bit scan.
func TestNextBitSparse(t *testing.T) {
	sparse := make([]uint64, 8)
	for _, i := range []int{3, 64, 200, 201, 383, 511} {
		sparse[i/64] |= 1 << (i % 64)
	}
	dense := make([]uint64, 8)
	for i := range dense {
		dense[i] = ^sparse[i]
	}
	for _, mask := range [][]uint64{sparse, dense} {
		for v := uint64(0); v < 2; v++ {
			for from := 0; from < 512; from += 7 {
				for _, limit := range []int{from, from + 1, from + 100, 512} {
					limit = min(limit, 512)
					want := limit
					for i := from; i < limit; i++ {
						if mask[i/64]>>(i%64)&1 == v {
							want = i
							break
						}
					}
					if got := nextBit(mask, from, limit, v); got != want {
						t.Fatalf("nextBit(%d, %d, %d) = %d, want %d", from, limit, v, got, want)
					}
				}
			}
		}
	}
}

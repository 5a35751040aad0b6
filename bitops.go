package dropout

import "math/bits"

// countBits returns the number of set bits among bits [off, off+n) of mask.
func countBits(mask []uint64, off, n int) int {
	count := 0
	for n > 0 {
		w, s := off/64, off%64
		take := min(n, 64-s)
		word := mask[w] >> uint(s)
		if take < 64 {
			word &= 1<<uint(take) - 1
		}
		count += bits.OnesCount64(word)
		off, n = off+take, n-take
	}
	return count
}

// extractBits writes bits [off, off+n) of mask to dst[:Words(n)], starting at
// bit 0; bits past n in the last word are zero.
func extractBits(dst, mask []uint64, off, n int) {
	w0, s := off/64, uint(off%64)
	for w := range Words(n) {
		word := mask[w0+w] >> s
		if s != 0 && w0+w+1 < len(mask) {
			word |= mask[w0+w+1] << (64 - s)
		}
		dst[w] = word
	}
	if n%64 != 0 {
		dst[Words(n)-1] &= 1<<uint(n%64) - 1
	}
}

// setBits sets bits [lo, hi) of mask.
func setBits(mask []uint64, lo, hi int) {
	for lo < hi {
		w, s := lo/64, lo%64
		take := min(hi-lo, 64-s)
		ones := ^uint64(0)
		if take < 64 {
			ones = 1<<uint(take) - 1
		}
		mask[w] |= ones << uint(s)
		lo += take
	}
}

// nextBit returns the index of the first bit in [i, limit) of mask equal to
// v (0 or 1), or limit if there is none.
func nextBit(mask []uint64, i, limit int, v uint64) int {
	flip := v - 1 // 0 to find a set bit, all ones to find a clear one
	for i < limit {
		word := (mask[i/64] ^ flip) >> uint(i%64)
		if word != 0 {
			return min(i+bits.TrailingZeros64(word), limit)
		}
		i += 64 - i%64
	}
	return limit
}

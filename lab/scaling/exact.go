package scaling

import (
	"math/bits"

	"github.com/gokernels/dropout"
)

// The exact-scaling path. ForwardExact / BackwardExact have the signatures
// of dropout.ForwardExact / dropout.BackwardExact: the same mask bits as
// dropout.Forward, but each row of rowLen consecutive elements with k_r kept
// elements is scaled by float64(rowLen)/float64(k_r) instead of 1/keep (a row
// with k_r = 0 becomes all +0).
//
// They are variables so that the lab can switch to the library's own
// kernels; UseLibraryExact (exact_lib.go) does so when the library has them.

// ForwardExact is the exact-scaling forward pass.
func ForwardExact[T dropout.Float](dst, src []T, mask []uint64, cfg dropout.Config, rowLen int) (int, error) {
	return forwardExact(dst, src, mask, cfg, rowLen)
}

// BackwardExact is the gradient of ForwardExact; a nil mask regenerates it.
func BackwardExact[T dropout.Float](dx, dy []T, mask []uint64, cfg dropout.Config, rowLen int) error {
	return backwardExact(dx, dy, mask, cfg, rowLen)
}

// LabForwardExact implements ForwardExact with the public kernels:
// GenerateMask, a popcount per row, and Apply with scale rowLen/k_r.
func LabForwardExact[T dropout.Float](dst, src []T, mask []uint64, cfg dropout.Config, rowLen int) (int, error) {
	n := len(src)
	if len(dst) != n {
		_, err := dropout.Forward(dst, src, nil, cfg) // reports the length error
		return 0, err
	}
	if rowLen <= 0 || n%rowLen != 0 {
		return 0, errRowLen(n, rowLen)
	}
	if mask == nil {
		mask = make([]uint64, dropout.Words(n))
	}
	kept, err := dropout.GenerateMask(mask, n, cfg)
	if err != nil {
		return 0, err
	}
	return kept, applyRows(dst, src, mask, rowLen)
}

// LabBackwardExact is the gradient of LabForwardExact.
func LabBackwardExact[T dropout.Float](dx, dy []T, mask []uint64, cfg dropout.Config, rowLen int) error {
	n := len(dy)
	if len(dx) != n {
		return dropout.Backward(dx, dy, nil, cfg)
	}
	if rowLen <= 0 || n%rowLen != 0 {
		return errRowLen(n, rowLen)
	}
	if mask == nil {
		mask = make([]uint64, dropout.Words(n))
		if _, err := dropout.GenerateMask(mask, n, cfg); err != nil {
			return err
		}
	}
	return applyRows(dx, dy, mask, rowLen)
}

// applyRows runs Apply on each row with the row's bits and scale rowLen/k_r.
func applyRows[T dropout.Float](dst, src []T, mask []uint64, rowLen int) error {
	row := make([]uint64, dropout.Words(rowLen))
	for start := 0; start < len(src); start += rowLen {
		k := extractBits(row, mask, start, rowLen)
		scale := 0.0
		if k > 0 {
			scale = float64(rowLen) / float64(k)
		}
		if err := dropout.Apply(dst[start:start+rowLen], src[start:start+rowLen], row, scale); err != nil {
			return err
		}
	}
	return nil
}

// extractBits copies bits [start, start+n) of mask to dst (bit 0 first) and
// returns how many of them are set.
func extractBits(dst, mask []uint64, start, n int) int {
	k := 0
	for w := range dst {
		lo := start + 64*w
		word := mask[lo/64] >> (lo % 64)
		if lo%64 != 0 && lo/64+1 < len(mask) {
			word |= mask[lo/64+1] << (64 - lo%64)
		}
		if rem := n - 64*w; rem < 64 {
			word &= 1<<rem - 1
		}
		dst[w] = word
		k += bits.OnesCount64(word)
	}
	return k
}

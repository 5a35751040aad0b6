package scaling

import (
	"fmt"

	"github.com/gokernels/dropout"
)

func errRowLen(n, rowLen int) error {
	return fmt.Errorf("%w: rowLen=%d does not divide n=%d", dropout.ErrInvalid, rowLen, n)
}

// ExactImpl names the implementation behind ForwardExact and BackwardExact.
// The library has dropout.ForwardExact / BackwardExact, so they are used;
// LabForwardExact / LabBackwardExact (the same map built from GenerateMask,
// a popcount per row and Apply) remain as the cross-check in the tests.
const ExactImpl = "dropout.ForwardExact"

func forwardExact[T dropout.Float](dst, src []T, mask []uint64, cfg dropout.Config, rowLen int) (int, error) {
	return dropout.ForwardExact(dst, src, mask, cfg, rowLen)
}

func backwardExact[T dropout.Float](dx, dy []T, mask []uint64, cfg dropout.Config, rowLen int) error {
	return dropout.BackwardExact(dx, dy, mask, cfg, rowLen)
}

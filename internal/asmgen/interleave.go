package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// interleave is the fused forward's software pipeline: block512 (AVX-512)
// and block256 (AVX2) spread scale steps of the previous block (one group of
// 32 elements each) over their Philox rounds, so that the conversion uses
// the vector ports a Philox round leaves idle and the memory traffic runs
// during Philox instead of in bursts between the mask computations.
type interleave struct {
	step        func() // emits one scale step, skipped once no group is left
	spill       []Mem  // AVX-512: where round 0's x3 of each chain waits
	perCall     int    // AVX-512: steps per whole-block Philox call
	perLeftover int    // AVX-512: steps per call of the leftover chain
}

// Steps (of one group; of two in the Incs kernels) per block of 32 groups:
// two whole-block calls and (in about 98% of the blocks at keep 0.9) one
// leftover call reach all of them; the finish loop does the rest.
const (
	stepsPerCall     = 12
	stepsPerLeftover = 8
)

// stepLabels numbers the steps' skip labels (unique within a function).
var stepLabels int

// newInterleave returns the pipeline scaling groups of kind e from src to dst
// with mask words at smp, left groups to go. Its steps take the scale from a
// stack slot, so that it needs no register during Philox.
func newInterleave(e elemKind, src, dst, smp, left Register) *interleave {
	il := &interleave{perCall: stepsPerCall, perLeftover: stepsPerLeftover}
	var slot Mem
	if e.wide {
		slot = AllocLocal(64)
		VMOVDQU64(broadcastScale(e), slot)
		for i := 0; i < 4; i++ {
			il.spill = append(il.spill, AllocLocal(64))
		}
	} else {
		slot = AllocLocal(32)
		VMOVDQU(broadcastScale(e), slot)
	}
	// The Incs kernels' steps take two groups: one KORTESTD covers both
	// vectors' specials, and the pointer and count updates are shared
	// (bfloat16 Forward 16Mi 4 to 6% faster than one group a step).
	per := 1
	if e.incs {
		per = 2
		il.perCall, il.perLeftover = stepsPerCall/2, stepsPerLeftover/2
	}
	il.step = func() {
		skip := fmt.Sprintf("step%d", stepLabels)
		stepLabels++
		CMPQ(left, U8(per))
		JB(LabelRef(skip))
		prefetchLines(32*per*e.bytes(), src, dst)
		if e.half != notHalf {
			halfUnit(e, 32*per, src, dst, smp, slot, nil, nil, nil)
		} else {
			scaleUnit(e, 32*per, src, dst, smp, slot)
		}
		advanceUnit(e, 32*per, src, dst, smp)
		SUBQ(U8(per), left)
		Label(skip)
	}
	return il
}

// slot emits the steps due after slot i of n slots sharing total steps.
func (il *interleave) slot(i, n, total int) {
	for k := total * i / n; k < total*(i+1)/n; k++ {
		il.step()
	}
}

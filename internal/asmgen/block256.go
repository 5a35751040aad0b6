package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// broadcast256 broadcasts a 32-bit general register to all dwords of a ymm.
func broadcast256(g Register) Register {
	x := XMM()
	VMOVD(g, x)
	y := YMM()
	VPBROADCASTD(x, y)
	return y
}

// block256 emits the mask computation for 8 groups starting at a.lo and
// stores the 8 group words at a.out. With il set (fused forward), a scale
// step of the previous block follows every second Philox round: the two
// chains are latency-bound, and the steps fill the ports they leave idle.
// Calls 0 and 1, which every block makes, run all 8 steps.
func block256(sfx string, a groupArgs, il *interleave) {
	keys := Mem{Base: a.plan}
	Comment("Block of 8 groups.")
	ctr := broadcast256(a.lo)
	VPADDD(lanes256, ctr, ctr)
	kept, und := YMM(), YMM()
	VPXOR(kept, kept, kept)
	VPCMPEQD(und, und, und)
	c := GP64()
	XORL(c.As32(), c.As32())
	kp := GP64()
	LEAQ(keys.Offset(offKeepAt), kp)

	Label("call" + sfx)
	v, w, u3 := YMM(), YMM(), YMM()
	VPBROADCASTD(a.uniformAt(c, uniV), v)
	VPBROADCASTD(a.uniformAt(c, uniW), w)
	VPBROADCASTD(a.uniformAt(c, uniU3), u3)
	odd := YMM()
	VPSRLQ(U8(32), ctr, odd)
	// Round 0 is recomputed per call here: AVX2 has too few registers to
	// keep its results across calls.
	st := make([][4]Register, 2)
	for i, x0 := range []Register{ctr, odd} {
		x2, x3 := round0(false, x0, keys)
		st[i] = round1(false, x2, x3, v, w, u3)
	}
	for r := 2; r < 10; r++ {
		k0, k1 := YMM(), YMM()
		VPBROADCASTD(keys.Offset(8*r), k0)
		VPBROADCASTD(keys.Offset(8*r+4), k1)
		for i := range st {
			st[i] = philoxRound(false, st[i], r, keys, k0, k1)
		}
		if il != nil && r%2 == 1 {
			il.step()
		}
	}
	kw := Mem{Base: kp}
	for w := 0; w < 4; w++ {
		rw := st[0][w]
		t := YMM()
		VPSLLQ(U8(32), st[1][w], t)
		VPBLENDD(U8(0xAA), t, rw, rw)
		tb := YMM()
		VPBROADCASTD(kw.Offset(4*w), tb)
		// kept |= und &^ R & tb
		VPANDN(und, rw, t)
		VPAND(tb, t, t)
		VPOR(t, kept, kept)
		// und &^= R ^ tb
		VPXOR(tb, rw, rw)
		VPANDN(und, rw, und)
	}
	VPTEST(und, und)
	JZ(LabelRef("decided" + sfx))
	nextCall(kp, c, a.plan)
	JB(LabelRef("call" + sfx))

	Label("decided" + sfx)
	VMOVDQU(kept, Mem{Base: a.out})
}

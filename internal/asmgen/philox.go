package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// state holds the arguments every group kernel loads.
type groupArgs struct {
	out  Register // *uint32, advanced per block
	n    Register // groups left (signed)
	lo   Register // uint32(first) of the current block (32-bit register)
	hk   Register // uint32(first>>32) ^ roundKeys[0]
	plan Register // *philoxPlan
	uni  Mem      // uniformTable's per-call values
}

func loadGroupArgs() groupArgs {
	var a groupArgs
	a.out = Load(Param("out"), GP64())
	a.n = Load(Param("n"), GP64())
	first := Load(Param("first"), GP64())
	a.lo = first.(GPVirtual).As32()
	a.hk = GP64()
	MOVQ(first, a.hk)
	SHRQ(U8(32), a.hk)
	a.plan = Load(Param("plan"), GP64())
	XORL(Mem{Base: a.plan}, a.hk.(GPVirtual).As32())
	return a
}

// philoxRound emits one Philox round on qword-lane state x and returns the
// new state. Inputs are never overwritten, so shared registers may be inputs.
func philoxRound(wide bool, x [4]Register, r int, keys Mem, key0, key1 Register) [4]Register {
	if wide {
		p0, p1, h0, h1 := ZMM(), ZMM(), ZMM(), ZMM()
		VPMULUDQ_BCST(mulConst.Offset(0), x[0], p0)
		VPMULUDQ_BCST(mulConst.Offset(8), x[2], p1)
		VPSHUFD(U8(0xF5), p1, h1)
		VPTERNLOGD_BCST(ternXor3, keys.Offset(8*r), x[1], h1)
		VPSHUFD(U8(0xF5), p0, h0)
		VPTERNLOGD_BCST(ternXor3, keys.Offset(8*r+4), x[3], h0)
		return [4]Register{h1, p1, h0, p0}
	}
	p0, p1, h0, h1 := YMM(), YMM(), YMM(), YMM()
	VPMULUDQ(mulConst.Offset(16), x[0], p0)
	VPMULUDQ(mulConst.Offset(48), x[2], p1)
	// The key XOR is off the multiply's critical path.
	VPXOR(key0, x[1], h1)
	t1 := YMM()
	VPSRLQ(U8(32), p1, t1)
	VPXOR(t1, h1, h1)
	VPXOR(key1, x[3], h0)
	t0 := YMM()
	VPSRLQ(U8(32), p0, t0)
	VPXOR(t0, h0, h0)
	return [4]Register{h1, p1, h0, p0}
}

// uniformRounds emits the scalar part of rounds 0 and 1 of call c. With the
// counter (lo, hi, c, 0), round 0's second product M1*c and everything that
// depends only on it is the same for every group, and so is round 1's first
// product. Per call it leaves in 32-bit registers:
//
//	V  = lo(M1*c) ^ k0[1]                     (round 1: x0 = hi(M1*x2') ^ V)
//	W  = hi(M0*U0) ^ k1[1], U0 = hi(M1*c) ^ hi ^ k0[0]  (round 1: x2 = x3' ^ W)
//	U3 = lo(M0*U0)                            (round 1: x3 = U3)
func uniformRounds(a groupArgs, c Register) (v, w, u3 Register) {
	keys := Mem{Base: a.plan}
	t := GP64()
	MOVL(U32(philoxM1), t.As32())
	IMULQ(c, t)
	v = GP32()
	MOVL(t.As32(), v)
	XORL(keys.Offset(8), v)
	SHRQ(U8(32), t)
	XORL(a.hk.(GPVirtual).As32(), t.As32()) // U0, zero-extended
	q := GP64()
	MOVL(U32(philoxM0), q.As32())
	IMULQ(t, q)
	u3 = GP32()
	MOVL(q.As32(), u3)
	SHRQ(U8(32), q)
	XORL(keys.Offset(12), q.As32())
	return v, q.As32(), u3
}

// uniformTable computes uniformRounds for each of the plan's calls once per
// kernel call, into a stack table (uniformAt), so that the blocks load the
// values with broadcasts instead of recomputing them on the scalar ports and
// broadcasting them on the vector shuffle port (AVX-512 bfloat16 Forward 2
// to 3% faster, AVX2 Forward 3 to 5%).
func uniformTable(a *groupArgs) {
	a.uni = AllocLocal(8*maxCalls + 4*maxCalls)
	c := GP64()
	XORL(c.As32(), c.As32())
	Label("uniform")
	v, w, u3 := uniformRounds(*a, c)
	MOVL(v, a.uniformAt(c, uniV))
	MOVL(w, a.uniformAt(c, uniW))
	MOVL(u3, a.uniformAt(c, uniU3))
	INCQ(c)
	CMPQ(c, Mem{Base: a.plan}.Offset(offCalls))
	JB(LabelRef("uniform"))
}

// The uniform table holds V and W of call c at 8c and 8c+4, U3 at 8*maxCalls+4c.
const (
	uniV  = 0
	uniW  = 4
	uniU3 = 8 * maxCalls
)

// uniformAt addresses one value (uniV, uniW, uniU3) of call c in the table.
func (a groupArgs) uniformAt(c Register, value int) Mem {
	m := a.uni.Offset(value)
	m.Index, m.Scale = c, 8
	if value == uniU3 {
		m.Scale = 4
	}
	return m
}

// round0 emits the per-group part of round 0 for counter words x0 (qword
// lanes): with x3 = 0, x2' = hi(M0*x0) ^ k1[0] and x3' = lo(M0*x0). Both are
// independent of the call index.
func round0(wide bool, x0 Register, keys Mem) (x2, x3 Register) {
	if wide {
		x3, x2 = ZMM(), ZMM()
		VPMULUDQ_BCST(mulConst.Offset(0), x0, x3)
		VPSRLQ(U8(32), x3, x2)
		VPXORD_BCST(keys.Offset(4), x2, x2)
		return x2, x3
	}
	x3, x2 = YMM(), YMM()
	k := YMM()
	VPBROADCASTD(keys.Offset(4), k)
	VPMULUDQ(mulConst.Offset(16), x0, x3)
	VPSRLQ(U8(32), x3, x2)
	VPXOR(k, x2, x2)
	return x2, x3
}

// round1 emits the per-group part of round 1 from round 0's x2', x3' and the
// uniform values; it returns the state after round 1.
// AVX-512 takes v as a broadcast operand (uniformRounds512).
func round1(wide bool, x2 Register, x3, v Op, w, u3 Register) [4]Register {
	var p1, h1, n2 Register
	if wide {
		p1, h1, n2 = ZMM(), ZMM(), ZMM()
		VPMULUDQ_BCST(mulConst.Offset(8), x2, p1)
		VPSRLQ(U8(32), p1, h1)
		VPXORD_BCST(v, h1, h1)
		VPXORD(x3, w, n2)
	} else {
		p1, h1, n2 = YMM(), YMM(), YMM()
		VPMULUDQ(mulConst.Offset(48), x2, p1)
		VPSRLQ(U8(32), p1, h1)
		VPXOR(v, h1, h1)
		VPXOR(w, x3, n2)
	}
	return [4]Register{h1, p1, n2, u3}
}

// nextCall moves a block on to the plan's next Philox call: kp to the
// call's keepAt words, c to its counter word; then it compares c with the
// plan's call count for the caller's branch.
func nextCall(kp, c, plan Register) {
	ADDQ(U8(16), kp)
	INCQ(c)
	CMPQ(c, Mem{Base: plan}.Offset(offCalls))
}

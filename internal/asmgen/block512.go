package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// block512 emits the mask computation for nb*16 groups (nb = 1 or 2) starting
// at a.lo and stores the nb*16 group words at a.out. With il set (fused
// forward, nb = 2), it interleaves il's scale steps with the Philox rounds.
// With realign set (fused forward) it then realigns the words for the
// plan's shift (realignWords).
func block512(nb int, sfx string, a groupArgs, il *interleave, realign bool) {
	keys := Mem{Base: a.plan}
	Commentf("Block of %d groups.", 16*nb)
	vfirst := ZMM()
	VPBROADCASTD(a.lo, vfirst)
	kept := make([]Register, nb)
	und := make([]Register, nb)
	// Chains 2b and 2b+1: even and odd groups of block b. Round 0 does not
	// depend on the call index: hoisted out of the call loop.
	r0 := make([][2]Register, 2*nb)
	for b := 0; b < nb; b++ {
		ctr, odd := ZMM(), ZMM()
		VPADDD(lanes512.Offset(64*b), vfirst, ctr)
		VPSRLQ(U8(32), ctr, odd)
		r0[2*b][0], r0[2*b][1] = round0(true, ctr, keys)
		r0[2*b+1][0], r0[2*b+1][1] = round0(true, odd, keys)
		if il != nil {
			// Round 0's x3 waits in memory: the scale steps need registers.
			for i := 2 * b; i < 2*b+2; i++ {
				VMOVDQU64(r0[i][1], il.spill[i])
			}
		}
		kept[b] = ZMM()
		VPXORD(kept[b], kept[b], kept[b])
		und[b] = ZMM()
		VPTERNLOGD(U8(0xFF), und[b], und[b], und[b])
	}
	c := GP64()
	XORL(c.As32(), c.As32())
	kp := GP64()
	LEAQ(keys.Offset(offKeepAt), kp)

	Label("call" + sfx)
	v, w, u3 := uniformRounds512(a, c)
	st := make([][4]Register, 2*nb)
	for i := range st {
		var x3 Op = r0[i][1]
		if il != nil {
			x3 = il.spill[i]
		}
		st[i] = round1(true, r0[i][0], x3, v, w, u3)
	}
	for r := 2; r < 10; r++ {
		for i := range st {
			st[i] = philoxRound(true, st[i], r, keys, nil, nil)
			if il != nil {
				il.slot((r-2)*len(st)+i, 8*len(st), il.perCall)
			}
		}
	}
	kw := Mem{Base: kp}
	for w := 0; w < 4; w++ {
		kt := K()
		KMOVW(kw.Offset(4*w), kt)
		for b := 0; b < nb; b++ {
			// The index is loaded per use: the Incs kernels need the
			// register for their table (no other kernel got slower).
			rw := ZMM()
			VMOVDQU32(perm512, rw)
			VPERMI2D(st[2*b+1][w], st[2*b][w], rw)
			VPTERNLOGD(ternKept, rw, und[b], kt, kept[b])
			VPTERNLOGD_BCST(ternUnd, kw.Offset(4*w), rw, und[b])
		}
	}
	k0 := K()
	VPTESTMD(und[0], und[0], k0)
	if nb == 2 {
		k1 := K()
		VPTESTMD(und[1], und[1], k1)
		KORTESTW(k0, k1)
	} else {
		KORTESTW(k0, k0)
	}
	JZ(LabelRef("decided" + sfx))
	nextCall(kp, c, a.plan)
	JAE(LabelRef("decided" + sfx))
	// After leftoverAfter calls of the whole block, only the few groups still
	// undecided go on (leftover512); it falls back to this loop when there
	// are too many of them.
	if nb == 1 { // the tail block keeps the whole-block loop
		JMP(LabelRef("call" + sfx))
	} else {
		CMPQ(c, U8(leftoverAfter))
		JE(LabelRef("left" + sfx))
		JMP(LabelRef("call" + sfx))

		Label("left" + sfx)
		leftover512(nb, sfx, a, kept, und, c, kp, il)
		JMP(LabelRef("decided" + sfx))

		// Too many undecided groups: back to the whole-block loop.
		Label("full" + sfx)
		JMP(LabelRef("call" + sfx))
	}

	Label("decided" + sfx)
	for b := 0; b < nb; b++ {
		VMOVDQU32(kept[b], Mem{Base: a.out}.Offset(64*b))
	}
	if realign {
		realignWords(nb, sfx, a, kept)
	}
}

// realignWords serves calls whose elements start plan.shift bits into a
// group (shift 0: it does nothing). Unit i of such a call, its elements
// 32i..32i+31, takes bits shift..31 of group word i-1 and bits 0..shift-1
// of group word i; its word is stored at out[i-1], below group word i, so
// that the block's last group word stays as it is for the next block. The
// word before the block, out[-1], is the previous block's last or the
// driver's. kept holds the block's group words.
func realignWords(nb int, sfx string, a groupArgs, kept []Register) {
	plan, out := Mem{Base: a.plan}, Mem{Base: a.out}
	CMPL(plan.Offset(offShift), U8(0))
	JE(LabelRef("aligned" + sfx))
	var prev Register = ZMM()
	VPBROADCASTD(out.Offset(-4), prev)
	for b := 0; b < nb; b++ {
		before, low, high := ZMM(), ZMM(), ZMM()
		VALIGND(U8(15), prev, kept[b], before) // the word before each lane's
		VPSRLVD_BCST(plan.Offset(offShift), before, low)
		VPSLLVD_BCST(plan.Offset(offShiftUp), kept[b], high)
		VPORD(high, low, low)
		VMOVDQU32(low, out.Offset(64*b-4))
		prev = kept[b]
	}
	Label("aligned" + sfx)
}

// unitWords sets mp to the mask words of the units of the block at a.out:
// a.out, or with a plan shift (realignWords) a.out-4.
func unitWords(a groupArgs, mp Register) {
	t := GP64()
	XORL(t.As32(), t.As32())
	CMPL(Mem{Base: a.plan}.Offset(offShift), U8(0))
	SETNE(t.As8())
	SHLQ(U8(2), t)
	MOVQ(a.out, mp)
	SUBQ(t, mp)
}

// uniformRounds512 returns call c's uniformTable values: V as a broadcast
// operand, W and U3 broadcast to all lanes.
func uniformRounds512(a groupArgs, c Register) (v Mem, w, u3 Register) {
	w, u3 = ZMM(), ZMM()
	VPBROADCASTD(a.uniformAt(c, uniW), w)
	VPBROADCASTD(a.uniformAt(c, uniU3), u3)
	return a.uniformAt(c, uniV), w, u3
}

// leftoverAfter is the number of Philox calls a whole block always runs: at
// keep 0.9 about 12% of the groups are still undecided after two calls (8
// depths), while a 32-group block as a whole almost always is.
const leftoverAfter = 2

// leftover512 continues mask v1 for the groups of the nb*16-group block that
// are still undecided after c calls: up to 8 of them are gathered into the
// qword lanes of one Philox chain with their own counters, run until decided
// (or until the plan's calls are done), and their words are put back into
// kept. With more than 8 it jumps back to the whole-block loop (label
// "call"+sfx). Extra depths never change a decided lane, so the words are
// those of the per-group definition.
func leftover512(nb int, sfx string, a groupArgs, kept, und []Register, c, kp Register, il *interleave) {
	keys := Mem{Base: a.plan}
	Comment("Leftover: the undecided groups of the block in one chain.")
	ku := make([]Register, nb)
	cnt := make([]Register, nb)
	for b := 0; b < nb; b++ {
		ku[b] = K()
		VPTESTMD(und[b], und[b], ku[b])
		cnt[b] = GP32()
		KMOVW(ku[b], cnt[b])
		POPCNTL(cnt[b], cnt[b])
	}
	tot := cnt[0]
	if nb == 2 {
		tot = cnt[1]
		ADDL(cnt[0], tot)
	}
	CMPL(tot, U8(8))
	JA(LabelRef("full" + sfx))

	lanes := ZMM()
	VMOVDQU32(lanes512, lanes)
	idx := ZMM()
	VPCOMPRESSD_Z(lanes, ku[0], idx)
	var shift Register // n0 in every lane (nb == 2)
	if nb == 2 {
		hi, idx1 := ZMM(), ZMM()
		VMOVDQU32(lanes512.Offset(64), hi)
		VPCOMPRESSD_Z(hi, ku[1], idx1)
		shift = ZMM()
		VPBROADCASTD(cnt[0], shift)
		kh := K()
		VPCMPUD(U8(5), shift, lanes, kh) // lanes >= n0
		VPEXPANDD(idx1, kh, idx)         // block 1's indices after block 0's
	}
	// Lanes past the undecided ones hold index 0: a copy of group 0, which
	// ends when group 0 ends and is never written back.
	ctr, vf := ZMM(), ZMM()
	VPMOVZXDQ(idx.(VecVirtual).AsY(), ctr)
	VPBROADCASTD(a.lo, vf) // not kept live from the block's start: too many registers
	VPADDD(vf, ctr, ctr)
	gather := func(t []Register) Register {
		g := ZMM()
		if nb == 2 {
			VMOVDQA32(idx, g)
			VPERMI2D(t[1], t[0], g)
		} else {
			VPERMD(t[0], idx, g)
		}
		q := ZMM()
		VPMOVZXDQ(g.(VecVirtual).AsY(), q)
		return q
	}
	kk, uu := gather(kept), gather(und)
	x2, x3 := round0(true, ctr, keys)

	Label("lcall" + sfx)
	v, w, u3 := uniformRounds512(a, c)
	st := round1(true, x2, x3, v, w, u3)
	for r := 2; r < 10; r++ {
		st = philoxRound(true, st, r, keys, nil, nil)
		if il != nil {
			// One chain is latency-bound: the ports have room for steps.
			il.slot(r-2, 8, il.perLeftover)
		}
	}
	kw := Mem{Base: kp}
	for i := 0; i < 4; i++ {
		kt := K()
		KMOVW(kw.Offset(4*i), kt)
		VPTERNLOGD(ternKept, st[i], uu, kt, kk)
		VPTERNLOGD_BCST(ternUnd, kw.Offset(4*i), st[i], uu)
	}
	kz := K()
	VPTESTMD(uu, uu, kz)
	KORTESTW(kz, kz)
	JZ(LabelRef("ldone" + sfx))
	nextCall(kp, c, a.plan)
	JB(LabelRef("lcall" + sfx))

	Label("ldone" + sfx)
	ev, res := ZMM(), ZMM()
	VMOVDQU32(evens512, ev)
	VPERMD(kk, ev, res) // lanes 0..7: the low dwords of kk's qword lanes
	VPEXPANDD(res, ku[0], kept[0])
	if nb == 2 {
		sidx, r1 := ZMM(), ZMM()
		VPADDD(shift, lanes, sidx)
		VPERMD(res, sidx, r1)
		VPEXPANDD(r1, ku[1], kept[1])
	}
}

// Command asmgen generates the amd64 kernels of package dropout
// (kernel_amd64.s and kernel_stubs_amd64.go) with avo.
//
// Run it through `go generate` in the repository root; see kernel_amd64.go.
//
// The kernels implement mask v1 (see the package documentation and
// kernel_generic.go, the reference they must match bit for bit):
//
//   - Philox4x32-10 runs structure-of-arrays over consecutive 32-element
//     groups. Each group's 32-bit counter word sits in the low dword of a
//     qword lane, so VPMULUDQ yields the full 64-bit product: its low dword is
//     "lo" as is (high dwords are garbage nobody reads), and "hi" is one
//     instruction away: VPSRLQ on AVX2; on AVX-512 VPSHUFD copying the high
//     dwords down, a shuffle instead of a shift (mask generation measured
//     about 5% faster on the AVX-512 Xeon). AVX-512 computes 16 groups per
//     block (two zmm halves of 8 qword lanes: even and odd groups) and runs
//     two blocks at once in the main loop, i.e. four independent Philox
//     chains; AVX2 computes 8 groups (two ymm halves).
//   - After the ten rounds the halves are merged into one vector whose dword
//     lane j is group j's random word (VPERMT2D, or VPSLLQ+VPBLENDD), and the
//     most-significant-bit-first comparison with T updates kept/undecided.
//     A block stops as soon as no lane is undecided; on AVX-512 a 32-group
//     block runs two calls, then only its still undecided groups (about 12%
//     at keep 0.9) go on, gathered into one chain (leftover512).
//   - The fused forward stores the group words and scales the corresponding
//     elements: AVX-512 loads mask bits into k registers (KMOVW/KMOVB) and
//     uses zeroing-masked multiplies; AVX2 expands bits to lanes (VPAND +
//     VPCMPEQ) and ANDs the product. AVX2 scales each block after its mask;
//     AVX-512 scales a 32-group block one group at a time in steps spread
//     over the Philox rounds of the next block (interleave), so that memory
//     traffic and conversion overlap Philox (float32 and float64 Forward
//     11-18% faster; the 16-bit ones, whose conversion competes with Philox
//     for the same vector ports, unchanged).
//
// Memory layout of philoxPlan read here: roundKeys [20]uint32 at 0, keepAt
// [32]uint32 at 80, calls uint64 at 208.
package main

import (
	"fmt"
	"strings"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

const (
	philoxM0 = 0xD2511F53
	philoxM1 = 0xCD9E8D57

	offKeepAt = 80
	offCalls  = 208
)

// Software prefetch (measured on the 2-core AVX-512 Xeon, float32, 16Mi
// elements, ratios to copy in one run): prefetching dst as well as src lifts
// Apply from 1.0x to 1.1x copy; in the fused forward, prefetches bunched in
// the scale loop leave the memory idle during Philox (0.64x copy), while the
// same prefetches spread over the Philox rounds keep it busy (0.78-0.83x).
// The scale steps interleaved with Philox (interleave) now carry them.

// prefetchAhead is the software prefetch distance of the streaming loops.
const prefetchAhead = 4096

// ntStores is set while the non-temporal variants are generated: their
// vector stores are VMOVNTPS, VMOVNTPD or VMOVNTDQ (storeFloats, storeVec;
// dst must be 64-byte aligned), and they do not prefetch dst (prefetching
// lines that are then written around the cache costs more than it saves).
// They do not end with SFENCE: the package fences once per call and
// goroutine (storeFence), not once per kernel call, which cost 6 to 11% on
// the variants that make a kernel call per chunk of 4096 elements.
var ntStores bool

// ternary logic immediates for VPTERNLOGD(imm, c, b, a): a = f(a, b, c).
func tern(f func(a, b, c uint8) uint8) U8 { return U8(f(0xF0, 0xCC, 0xAA)) }

var (
	ternXor3 = tern(func(a, b, c uint8) uint8 { return a ^ b ^ c })
	// kept |= und &^ R  (a = kept, b = und, c = R), applied under k = keepAt[d]
	ternKept = tern(func(a, b, c uint8) uint8 { return a | (b &^ c) })
	// und &^= R ^ tb     (a = und, b = R, c = tb)
	ternUnd = tern(func(a, b, c uint8) uint8 { return a &^ (b ^ c) })
)

var (
	mulConst  Mem // qword M0, qword M1, then 4x qword M0, 4x qword M1 (AVX2)
	lanes512  Mem // dwords 0..31
	perm512   Mem // VPERMT2D index merging even/odd qword-lane halves
	evens512  Mem // VPERMD index: dword i = 2i mod 16 (low dwords of qword lanes first)
	lanes256  Mem // dwords 0..7
	bitsDword Mem // dword i = 1<<i, i = 0..31
	bitsQword Mem // qword i = 1<<i (low dword only), i = 0..31
	shlDword  Mem // dword i = 31-i, i = 0..31: VPSLLVD moves bit i to the sign bit
	shlQword  Mem // qword i = 63-i, i = 0..31: VPSLLVQ moves bit i of the low dword to bit 63
	bitsWord  Mem // word i = 1<<i, i = 0..15
	highWords Mem // VPERMT2W index: word 2i = word 2i+1 of table 1, word 2i+1 = word 2i+1 of table 2
	halfConst Mem // 8 dwords each of 1, 0x7fff, 0xffff0000, 0x10000 (the bfloat16 rounding)
)

// Offsets in halfConst of the 32-byte vectors (AVX-512 broadcasts their first dword).
const (
	hcOne   = 0
	hc7fff  = 32
	hcHigh  = 64
	hcBit16 = 96
)

func constants() {
	mulConst = GLOBL("philoxmul", RODATA|NOPTR)
	DATA(0, U64(philoxM0))
	DATA(8, U64(philoxM1))
	for i := 0; i < 4; i++ {
		DATA(16+8*i, U64(philoxM0))
	}
	for i := 0; i < 4; i++ {
		DATA(48+8*i, U64(philoxM1))
	}

	lanes512 = GLOBL("lanes512", RODATA|NOPTR)
	for i := 0; i < 32; i++ {
		DATA(4*i, U32(i))
	}

	perm512 = GLOBL("perm512", RODATA|NOPTR)
	for j := 0; j < 16; j++ {
		// Lane j comes from group j: even groups are the low dwords of the
		// first table (dword j), odd groups those of the second (16 + j-1).
		idx := j
		if j%2 == 1 {
			idx = 16 + j - 1
		}
		DATA(4*j, U32(idx))
	}

	evens512 = GLOBL("evens512", RODATA|NOPTR)
	for i := 0; i < 16; i++ {
		DATA(4*i, U32(2*i%16))
	}

	lanes256 = GLOBL("lanes256", RODATA|NOPTR)
	for i := 0; i < 8; i++ {
		DATA(4*i, U32(i))
	}

	bitsDword = GLOBL("bitsdword", RODATA|NOPTR)
	for i := 0; i < 32; i++ {
		DATA(4*i, U32(uint32(1)<<i))
	}

	bitsQword = GLOBL("bitsqword", RODATA|NOPTR)
	for i := 0; i < 32; i++ {
		DATA(8*i, U64(uint64(1)<<i))
	}

	shlDword = GLOBL("shldword", RODATA|NOPTR)
	for i := 0; i < 32; i++ {
		DATA(4*i, U32(31-i))
	}

	shlQword = GLOBL("shlqword", RODATA|NOPTR)
	for i := 0; i < 32; i++ {
		DATA(8*i, U64(63-i))
	}

	bitsWord = GLOBL("bitsword", RODATA|NOPTR)
	for i := 0; i < 16; i++ {
		DATA(2*i, U16(uint16(1)<<i))
	}

	highWords = GLOBL("highwords", RODATA|NOPTR)
	for i := 0; i < 16; i++ {
		DATA(4*i, U16(2*i+1))
		DATA(4*i+2, U16(32+2*i+1))
	}

	halfConst = GLOBL("halfconst", RODATA|NOPTR)
	for i, v := range []uint32{1, 0x7fff, 0xffff0000, 0x10000} {
		for j := 0; j < 8; j++ {
			DATA(32*i+4*j, U32(v))
		}
	}
}

// state holds the arguments every group kernel loads.
type groupArgs struct {
	out  Register // *uint32, advanced per block
	n    Register // groups left (signed)
	lo   Register // uint32(first) of the current block (32-bit register)
	hk   Register // uint32(first>>32) ^ roundKeys[0]
	plan Register // *philoxPlan
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
// broadcast uniform values; it returns the state after round 1.
func round1(wide bool, x2 Register, x3 Op, v, w, u3 Register) [4]Register {
	var p1, h1, n2 Register
	if wide {
		p1, h1, n2 = ZMM(), ZMM(), ZMM()
		VPMULUDQ_BCST(mulConst.Offset(8), x2, p1)
		VPSRLQ(U8(32), p1, h1)
		VPXORD(v, h1, h1)
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

// Steps per block of 32 groups: two whole-block calls and (in about 98% of
// the blocks at keep 0.9) one leftover call reach all of them; the finish
// loop does the rest.
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
	il.step = func() {
		skip := fmt.Sprintf("step%d", stepLabels)
		stepLabels++
		TESTQ(left, left)
		JZ(LabelRef(skip))
		prefetchLines(32*e.bytes(), src, dst)
		if e.half != notHalf {
			halfUnit(e, 32, src, dst, smp, slot, nil, nil, nil)
		} else {
			scaleUnit(e, 32, src, dst, smp, slot)
		}
		advanceUnit(e, 32, src, dst, smp)
		DECQ(left)
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

// block512 emits the mask computation for nb*16 groups (nb = 1 or 2) starting
// at a.lo and stores the nb*16 group words at a.out. With il set (fused
// forward, nb = 2), it interleaves il's scale steps with the Philox rounds.
func block512(nb int, sfx string, a groupArgs, il *interleave) {
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
	perm := ZMM()
	VMOVDQU32(perm512, perm)
	c := GP64()
	XORL(c.As32(), c.As32())
	kp := GP64()
	LEAQ(keys.Offset(offKeepAt), kp)

	Label("call" + sfx)
	gv, gw, gu3 := uniformRounds(a, c)
	v, w, u3 := ZMM(), ZMM(), ZMM()
	VPBROADCASTD(gv, v)
	VPBROADCASTD(gw, w)
	VPBROADCASTD(gu3, u3)
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
			rw := st[2*b][w]
			VPERMT2D(st[2*b+1][w], perm, rw)
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
	ADDQ(U8(16), kp)
	INCQ(c)
	CMPQ(c, keys.Offset(offCalls))
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
	gv, gw, gu3 := uniformRounds(a, c)
	v, w, u3 := ZMM(), ZMM(), ZMM()
	VPBROADCASTD(gv, v)
	VPBROADCASTD(gw, w)
	VPBROADCASTD(gu3, u3)
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
	ADDQ(U8(16), kp)
	INCQ(c)
	CMPQ(c, keys.Offset(offCalls))
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
	gv, gw, gu3 := uniformRounds(a, c)
	v, w, u3 := broadcast256(gv), broadcast256(gw), broadcast256(gu3)
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
	ADDQ(U8(16), kp)
	INCQ(c)
	CMPQ(c, keys.Offset(offCalls))
	JB(LabelRef("call" + sfx))

	Label("decided" + sfx)
	VMOVDQU(kept, Mem{Base: a.out})
}

// elemKind describes the per-group (or per-mask-word) scaling loop.
type elemKind struct {
	wide   bool // AVX-512
	double bool // float64
	half   halfFmt
}

// halfFmt is the 16-bit storage format of an element kind, computed in float32.
type halfFmt int

const (
	notHalf halfFmt = iota
	bf16            // bfloat16: the upper half of a float32
	f16             // IEEE binary16, converted with F16C
)

func (h halfFmt) String() string {
	switch h {
	case bf16:
		return "BF16"
	case f16:
		return "F16"
	}
	return ""
}

func (e elemKind) bytes() int {
	switch {
	case e.half != notHalf:
		return 2
	case e.double:
		return 8
	}
	return 4
}

// goType returns the Go element type of the kernel's pointers and the type of
// its scalar arguments.
func (e elemKind) goType() (elem, scalar string) {
	switch {
	case e.half != notHalf:
		return "uint16", "float32"
	case e.double:
		return "float64", "float64"
	}
	return "float32", "float32"
}

// broadcastScale loads the scale argument into all lanes of a vector.
func broadcastScale(e elemKind) Register { return broadcastParam(e, "scale") }

// broadcastParam loads the floating-point argument name into all lanes of a
// vector.
func broadcastParam(e elemKind, name string) Register {
	p, err := Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	var sc Register
	if e.wide {
		sc = ZMM()
	} else {
		sc = YMM()
	}
	if e.double {
		VBROADCASTSD(p.Addr, sc)
	} else {
		VBROADCASTSS(p.Addr, sc)
	}
	return sc
}

// scaleLoop emits: for cnt units (groups of 32 or words of 64 elements), dst =
// bit ? src*scale : +0, mask bits read from mp (advanced unitBits/8 bytes per
// unit). cnt must be > 0; it is destroyed.
func scaleLoop(e elemKind, unitBits int, sfx string, src, dst, mp, cnt Register, scale Register) {
	Label("scale" + sfx)
	prefetchUnit(e, unitBits, src, dst)
	scaleUnit(e, unitBits, src, dst, mp, scale)
	advanceUnit(e, unitBits, src, dst, mp)
	DECQ(cnt)
	JNZ(LabelRef("scale" + sfx))
}

// prefetchUnit emits the software prefetch of one unit's src (and dst) lines
// prefetchAhead bytes ahead, except for the wide fused forward's groups, whose
// prefetch happens in the scale steps interleaved with Philox (interleave).
func prefetchUnit(e elemKind, unitBits int, src, dst Register) {
	if unitBits == 32 && e.wide {
		return
	}
	prefetchLines(unitBits*e.bytes(), src, dst)
}

// prefetchLines prefetches the lines of n bytes at src (and dst)
// prefetchAhead bytes ahead.
func prefetchLines(n int, src, dst Register) {
	for off := 0; off < n; off += 64 {
		PREFETCHT0(Mem{Base: src}.Offset(prefetchAhead + off))
		if !ntStores {
			PREFETCHT0(Mem{Base: dst}.Offset(prefetchAhead + off))
		}
	}
}

// advanceUnit moves src, dst and mp past one unit.
func advanceUnit(e elemKind, unitBits int, src, dst, mp Register) {
	ADDQ(U32(unitBits*e.bytes()), src)
	ADDQ(U32(unitBits*e.bytes()), dst)
	ADDQ(U8(unitBits/8), mp)
}

// scaleUnit emits dst = bit ? src*scale : +0 for one unit of float32 or
// float64 elements. scale is a register, or a memory operand holding it in
// every lane.
func scaleUnit(e elemKind, unitBits int, src, dst, mp Register, scale Op) {
	if e.half != notHalf {
		panic("scaleUnit: float32 and float64 only")
	}
	vecBytes := 32
	if e.wide {
		vecBytes = 64
	}
	lanes := vecBytes / e.bytes()
	nvec := unitBits * e.bytes() / vecBytes
	s, d, m := Mem{Base: src}, Mem{Base: dst}, Mem{Base: mp}
	if e.wide {
		// x*scale, the scale in a register or in memory (then x is loaded
		// first). The operand order does not matter: scale is never NaN.
		mulZ := func(x Mem, k, y Register) {
			mul, mulMem := VMULPS_Z, VMOVUPS
			if e.double {
				mul, mulMem = VMULPD_Z, VMOVUPD
			}
			if r, ok := scale.(Register); ok {
				mul(x, r, k, y)
				return
			}
			mulMem(x, y)
			mul(scale, y, k, y)
		}
		for v := 0; v < nvec; v++ {
			k := K()
			y := ZMM()
			if e.double {
				KMOVB(m.Offset(v), k)
			} else {
				KMOVW(m.Offset(2*v), k)
			}
			mulZ(s.Offset(64*v), k, y)
			storeFloats(e, y, d.Offset(64*v))
		}
		return
	}
	// Each 32-bit mask dword is broadcast to all lanes; lane l of vector v
	// tests bit (v*lanes + l) % 32 against the constant table.
	var bcast Register
	for v := 0; v < nvec; v++ {
		bit := v * lanes
		if bit%32 == 0 {
			bcast = YMM()
			VPBROADCASTD(m.Offset(bit/8), bcast)
		}
		t, y := YMM(), YMM()
		// x*scale; with the scale in memory, x is loaded first (the operand
		// order does not matter: scale is never NaN).
		mul := func(mulOp, load func(...Op)) {
			if r, ok := scale.(Register); ok {
				mulOp(s.Offset(32*v), r, y)
				return
			}
			load(s.Offset(32*v), y)
			mulOp(scale, y, y)
		}
		if e.double {
			VPAND(bitsQword.Offset(8*(bit%32)), bcast, t)
			VPCMPEQQ(bitsQword.Offset(8*(bit%32)), t, t)
			mul(VMULPD, VMOVUPD)
			VANDPD(t, y, y)
		} else {
			VPAND(bitsDword.Offset(4*(bit%32)), bcast, t)
			VPCMPEQD(bitsDword.Offset(4*(bit%32)), t, t)
			mul(VMULPS, VMOVUPS)
			VANDPS(t, y, y)
		}
		storeFloats(e, y, d.Offset(32*v))
	}
}

// storeFloats stores a vector of e's floats, non-temporal in the NT variants.
func storeFloats(e elemKind, y Register, m Mem) {
	switch {
	case ntStores && e.double:
		VMOVNTPD(y, m)
	case ntStores:
		VMOVNTPS(y, m)
	case e.double:
		VMOVUPD(y, m)
	default:
		VMOVUPS(y, m)
	}
}

// groupKernel emits maskGroups (fwd == nil) or a fused forward kernel.
func groupKernel(wide bool, fwd *elemKind, name string) {
	var sig, doc string
	if fwd == nil {
		sig = "func(out *uint32, n int, first uint64, plan *uint32)"
		doc = fmt.Sprintf("%s writes the mask v1 words of groups first..first+n-1 to out[0:n]\n"+
			"and may write garbage up to out[roundUp(n, 16)]. plan points at a philoxPlan. n > 0.", name)
	} else {
		t, st := fwd.goType()
		sig = fmt.Sprintf("func(dst, src *%s, out *uint32, n int, first uint64, plan *uint32, scale %s)", t, st)
		doc = fmt.Sprintf("%s is the fused forward over n > 0 groups: it writes out like the\n"+
			"mask kernel and dst[i] = kept ? src[i]*scale : +0 for the 32*n elements.", name)
		if fwd.half != notHalf {
			doc = fmt.Sprintf("%s is the fused forward over n > 0 groups of %s bit patterns: it\n"+
				"writes out like the mask kernel and dst[i] = kept ? round16(float32(src[i])*scale) : +0\n"+
				"for the 32*n elements.", name, fwd.half)
		}
	}
	if ntStores {
		doc += "\nIts stores are non-temporal and not fenced: dst must be 64-byte aligned."
	}
	TEXT(name, NOSPLIT, sig)
	Pragma("noescape")
	Doc(strings.Split(doc, "\n")...)

	var src, dst Register
	if fwd != nil {
		dst = Load(Param("dst"), GP64())
		src = Load(Param("src"), GP64())
	}
	a := loadGroupArgs()

	// scaleGroups scales cnt groups with mask words from mp (nil: a.out).
	scaleGroups := func(cnt, mp Register, sfx string) {
		if fwd == nil {
			return
		}
		if mp == nil {
			mp = GP64()
			MOVQ(a.out, mp)
		}
		// The scale is broadcast per block, so that its register is free
		// during Philox.
		sc := broadcastScale(*fwd)
		if fwd.half != notHalf {
			halfLoop(*fwd, 32, "scale"+sfx, src, dst, mp, cnt, sc, nil, nil)
		} else {
			scaleLoop(*fwd, 32, sfx, src, dst, mp, cnt, sc)
		}
	}

	if wide {
		// The fused forward is software-pipelined: while block512 computes
		// the mask of a block, it scales the previous block (left groups
		// from smp on) in steps between its Philox rounds; the finish loop
		// scales what the steps did not reach.
		var il *interleave
		var left, smp Register
		if fwd != nil {
			left, smp = GP64(), GP64()
			XORL(left.(GPVirtual).As32(), left.(GPVirtual).As32())
			MOVQ(a.out, smp) // unread while left is 0, but defined for avo
			il = newInterleave(*fwd, src, dst, smp, left)
		}
		finish := func(sfx string) {
			if fwd == nil {
				return
			}
			TESTQ(left, left)
			JZ(LabelRef("finished" + sfx))
			scaleGroups(left, smp, "fin"+sfx)
			Label("finished" + sfx)
		}

		Label("loop")
		CMPQ(a.n, U8(16))
		JLE(LabelRef("tail"))
		block512(2, "2", a, il)
		if fwd != nil {
			finish("2")
			MOVQ(U32(32), left)
			CMPQ(a.n, left)
			CMOVQLT(a.n, left)
			MOVQ(a.out, smp)
		}
		ADDL(U8(32), a.lo)
		ADDQ(U32(128), a.out)
		SUBQ(U8(32), a.n)
		JMP(LabelRef("loop"))

		Label("tail")
		finish("T")
		TESTQ(a.n, a.n)
		JLE(LabelRef("done"))
		block512(1, "1", a, nil)
		scaleGroups(a.n, nil, "1")
	} else {
		// Pipelined as above, one block behind; a step fits in the ymm
		// registers the two Philox chains leave (avo fails otherwise).
		var il *interleave
		var left, smp Register
		if fwd != nil {
			left, smp = GP64(), GP64()
			XORL(left.(GPVirtual).As32(), left.(GPVirtual).As32())
			MOVQ(a.out, smp)
			il = newInterleave(*fwd, src, dst, smp, left)
		}
		finish := func(sfx string) {
			TESTQ(left, left)
			JZ(LabelRef("finished" + sfx))
			scaleGroups(left, smp, "fin"+sfx)
			Label("finished" + sfx)
		}
		Label("loop")
		block256("", a, il)
		switch {
		case il != nil:
			finish("")
			MOVQ(U32(8), left)
			CMPQ(a.n, left)
			CMOVQLT(a.n, left)
			MOVQ(a.out, smp)
		case fwd != nil:
			cnt := GP64()
			MOVQ(U32(8), cnt)
			CMPQ(a.n, cnt)
			CMOVQLT(a.n, cnt)
			scaleGroups(cnt, nil, "")
		}
		ADDL(U8(8), a.lo)
		ADDQ(U32(32), a.out)
		SUBQ(U8(8), a.n)
		JG(LabelRef("loop"))
		if il != nil {
			finish("T")
		}
	}
	Label("done")
	VZEROUPPER()
	RET()
}

// applyKernel emits apply32/apply64.
func applyKernel(e elemKind, name string) {
	t := "float32"
	if e.double {
		t = "float64"
	}
	TEXT(name, NOSPLIT, fmt.Sprintf("func(dst, src *%s, mask *uint64, n int, scale %s)", t, t))
	Pragma("noescape")
	doc := []string{fmt.Sprintf("%s sets dst[i] = bit i%%64 of mask[i/64] ? src[i]*scale : +0 for the", name),
		"64*n elements, n > 0."}
	if ntStores {
		doc = append(doc, "Its stores are non-temporal and not fenced: dst must be 64-byte aligned.")
	}
	Doc(doc...)
	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	mp := Load(Param("mask"), GP64())
	n := Load(Param("n"), GP64())
	scaleLoop(e, 64, "", src, dst, mp, n, broadcastScale(e))
	VZEROUPPER()
	RET()
}

// affineLoop emits: for cnt words of 64 elements, dst = bit ? T(src*a)+b : d,
// mask bits read from mp (advanced 8 bytes per word). The multiply and the
// add are separate instructions (two roundings, as in affineByBits); the
// select is a blend with broadcast d after the arithmetic, so unkept lanes get
// d's exact bits whatever src holds. cnt must be > 0; it is destroyed.
func affineLoop(e elemKind, src, dst, mp, cnt, va, vb, vd Register) {
	vecBytes := 32
	if e.wide {
		vecBytes = 64
	}
	lanes := vecBytes / e.bytes()
	unitBytes := 64 * e.bytes()
	nvec := unitBytes / vecBytes
	s, d, m := Mem{Base: src}, Mem{Base: dst}, Mem{Base: mp}
	Label("affine")
	prefetchLines(unitBytes, src, dst)
	if e.wide {
		for v := 0; v < nvec; v++ {
			k := K()
			y := ZMM()
			if e.double {
				KMOVB(m.Offset(v), k)
				VMULPD(s.Offset(64*v), va, y)
				VADDPD(vb, y, y)
				VBLENDMPD(y, vd, k, y) // k ? y : d
			} else {
				KMOVW(m.Offset(2*v), k)
				VMULPS(s.Offset(64*v), va, y)
				VADDPS(vb, y, y)
				VBLENDMPS(y, vd, k, y) // k ? y : d
			}
			storeFloats(e, y, d.Offset(64*v))
		}
	} else {
		// Each 32-bit mask dword is broadcast to all lanes; a variable shift
		// moves bit (v*lanes + l) % 32 to the sign bit of lane l, the only bit
		// VBLENDVPS/VBLENDVPD read.
		var bcast Register
		for v := 0; v < nvec; v++ {
			bit := v * lanes
			if bit%32 == 0 {
				bcast = YMM()
				VPBROADCASTD(m.Offset(bit/8), bcast)
			}
			t, y := YMM(), YMM()
			if e.double {
				VPSLLVQ(shlQword.Offset(8*(bit%32)), bcast, t)
				VMULPD(s.Offset(32*v), va, y)
				VADDPD(vb, y, y)
				VBLENDVPD(t, y, vd, y) // sign of t ? y : d
			} else {
				VPSLLVD(shlDword.Offset(4*(bit%32)), bcast, t)
				VMULPS(s.Offset(32*v), va, y)
				VADDPS(vb, y, y)
				VBLENDVPS(t, y, vd, y) // sign of t ? y : d
			}
			storeFloats(e, y, d.Offset(32*v))
		}
	}
	advanceUnit(e, 64, src, dst, mp)
	DECQ(cnt)
	JNZ(LabelRef("affine"))
}

// affineKernel emits affine32/affine64.
func affineKernel(e elemKind, name string) {
	t := "float32"
	if e.double {
		t = "float64"
	}
	TEXT(name, NOSPLIT, fmt.Sprintf("func(dst, src *%s, mask *uint64, n int, a, b, d %s)", t, t))
	Pragma("noescape")
	doc := []string{fmt.Sprintf("%s sets dst[i] = bit i%%64 of mask[i/64] ? %s(src[i]*a)+b : d for the", name, t),
		"64*n elements, n > 0 (two roundings, never fused)."}
	if ntStores {
		doc = append(doc, "Its stores are non-temporal and not fenced: dst must be 64-byte aligned.")
	}
	Doc(doc...)
	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	mp := Load(Param("mask"), GP64())
	n := Load(Param("n"), GP64())
	va, vb, vd := broadcastParam(e, "a"), broadcastParam(e, "b"), broadcastParam(e, "d")
	affineLoop(e, src, dst, mp, n, va, vb, vd)
	VZEROUPPER()
	RET()
}

// The 16-bit kernels widen each element exactly to float32, compute there
// like the float32 kernels (one VMULPS, or VMULPS then VADDPS), round back to
// 16 bits, and only then select kept or dropped per 16-bit word, so the
// dropped value (+0 or d) is stored bit for bit.
//
// bfloat16 avoids shuffles: a vector of dwords holds elements 2i (low words)
// and 2i+1 (high words), so x<<16 widens the even elements and x&0xffff0000
// the odd ones, each exactly. The rounding is the integer one of
// BFloat16FromFloat32 (VCVTNEPS2BF16 would flush subnormals): t = f + 0x7fff
// + (f>>16)&1, except in NaN lanes, where t = f: an arithmetic result is a
// quiet NaN, so f>>16 already equals (f>>16)|0x0040. The even results are
// shifted down and merged with the odd ones' high words; where dropped words
// are +0, AVX-512 does both with one zero-masked VPERMT2W.
//
// float16 uses F16C: VCVTPH2PS is exact, VCVTPS2PH with immediate 0 rounds
// to nearest even with subnormal results, and turns a quiet NaN into
// sign|0x7e00|payload>>13, as Float16FromFloat32.

// halfArith emits f = float32(x*mul) (+ add): the multiply and the add are
// separate instructions, two roundings. x stays the first source operand, so
// NaN propagation matches the generic kernels' Go code bit for bit.
func halfArith(wide bool, x Register, mul Op, add Register) Register {
	var f Register
	if wide {
		f = ZMM()
	} else {
		f = YMM()
	}
	VMULPS(mul, x, f) // x first: of two NaN operands x's propagates, as in Go
	if add != nil {
		VADDPS(add, f, f)
	}
	return f
}

// roundBF16 emits the bfloat16 rounding of the float32 lanes of f in place:
// afterwards the high word of each lane is BFloat16FromFloat32 of its value.
//
// noCarryNaN says that every NaN lane of f has a zero low word, so adding the
// rounding increment (at most 0x8000) cannot carry out of it and NaN lanes
// need no mask: true for f = float32(x)*scale with x a widened 16-bit value
// (low word zero) and scale not NaN (Apply rejects a NaN scale), since a
// multiply returns its NaN operand quieted, payload kept, and a NaN it
// creates (0*Inf) is the default NaN 0x7fc00000 or 0xffc00000.
func roundBF16(wide bool, f Register, noCarryNaN bool) {
	hc := halfConst
	if wide {
		// f += 0x7fff, then f += 1 where bit 16 of f was set: three
		// instructions instead of shift, and, add, add.
		odd := K()
		if noCarryNaN {
			VPTESTMD_BCST(hc.Offset(hcBit16), f, odd)
			VPADDD_BCST(hc.Offset(hc7fff), f, f)
		} else {
			ord := K()
			VCMPPS(U8(7), f, f, ord) // ORD_Q: not NaN; NaN lanes keep f
			VPTESTMD_BCST(hc.Offset(hcBit16), f, ord, odd)
			VPADDD_BCST(hc.Offset(hc7fff), f, ord, f)
		}
		VPADDD_BCST(hc.Offset(hcOne), f, odd, f)
		return
	}
	if noCarryNaN {
		s := YMM()
		VPSRLD(U8(16), f, s)
		VPAND(hc.Offset(hcOne), s, s)
		VPADDD(hc.Offset(hc7fff), s, s)
		VPADDD(s, f, f)
		return
	}
	s, ord := YMM(), YMM()
	VPSRLD(U8(16), f, s)
	VPAND(hc.Offset(hcOne), s, s)
	VPADDD(hc.Offset(hc7fff), s, s)
	VCMPPS(U8(7), f, f, ord) // ORD_Q: all ones where not NaN
	VPAND(ord, s, s)
	VPADDD(s, f, f)
}

// halfChunk emits the computation of one vector of bfloat16 results (32 words
// for AVX-512, 16 for AVX2) from the elements at src and returns it.
func halfChunk(e elemKind, src Mem, mul Op, add Register) Register {
	hc := halfConst
	switch {
	case e.half == bf16 && e.wide:
		fe, fo := halfPair(src, mul, add)
		VPSRLD(U8(16), fe, fe)
		// fe |= fo & 0xffff0000 (a = fe, b = fo, c = constant)
		VPTERNLOGD_BCST(tern(func(a, b, c uint8) uint8 { return a | b&c }), hc.Offset(hcHigh), fo, fe)
		return fe
	case e.half == bf16:
		x, ev, od := YMM(), YMM(), YMM()
		VMOVDQU(src, x)
		VPSLLD(U8(16), x, ev)
		VPAND(hc.Offset(hcHigh), x, od)
		fe, fo := halfArith(false, ev, mul, add), halfArith(false, od, mul, add)
		roundBF16(false, fe, add == nil)
		roundBF16(false, fo, add == nil)
		VPSRLD(U8(16), fe, fe)
		r := YMM()
		VPBLENDW(U8(0xAA), fo, fe, r) // odd words from fo
		return r
	}
	panic("halfChunk: bfloat16 only")
}

// halfPair emits the rounded float32 results of the even and the odd
// bfloat16 elements at src (AVX-512): their high words are the results.
func halfPair(src Mem, mul Op, add Register) (fe, fo Register) {
	x, ev, od := ZMM(), ZMM(), ZMM()
	VMOVDQU32(src, x)
	VPSLLD(U8(16), x, ev)
	VPANDD_BCST(halfConst.Offset(hcHigh), x, od)
	fe, fo = halfArith(true, ev, mul, add), halfArith(true, od, mul, add)
	roundBF16(true, fe, add == nil)
	roundBF16(true, fo, add == nil)
	return fe, fo
}

// convF16 emits the float16 results of the elements at src: 16 in a ymm
// (AVX-512) or 8 in an xmm (AVX2).
func convF16(wide bool, src Mem, mul Op, add Register) Register {
	var x, h Register
	if wide {
		x, h = ZMM(), YMM()
	} else {
		x, h = YMM(), XMM()
	}
	VCVTPH2PS(src, x)
	f := halfArith(wide, x, mul, add)
	VCVTPS2PH(U8(0), f, h)
	return h
}

// halfLoop emits: for cnt units (groups of 32 or words of 64 elements) of
// 16-bit elements, dst = bit ? round16(float32(src)*mul (+add)) : d (+0 if
// vd is nil), mask bits read from mp (advanced unitBits/8 bytes per unit).
// cnt must be > 0; it is destroyed.
func halfLoop(e elemKind, unitBits int, label string, src, dst, mp, cnt, mul, add, vd Register) {
	var high Register
	if e.wide && e.half == bf16 && vd == nil {
		high = ZMM()
		VMOVDQU16(highWords, high)
	}
	Label(label)
	prefetchUnit(e, unitBits, src, dst)
	halfUnit(e, unitBits, src, dst, mp, mul, add, vd, high)
	advanceUnit(e, unitBits, src, dst, mp)
	DECQ(cnt)
	JNZ(LabelRef(label))
}

// halfUnit emits one unit of halfLoop. mul is a register or (wide only) a
// memory operand holding the multiplier in every lane; high is the highWords
// table in a register, or nil to load it per vector (wide bfloat16, vd nil).
func halfUnit(e elemKind, unitBits int, src, dst, mp Register, mul Op, add, vd, high Register) {
	vecWords := 16
	if e.wide {
		vecWords = 32
	}
	s, d, m := Mem{Base: src}, Mem{Base: dst}, Mem{Base: mp}
	for v := 0; v < unitBits/vecWords; v++ {
		off := 2 * vecWords * v
		switch {
		case e.wide && e.half == bf16:
			k := K()
			var r Register
			switch {
			case vd == nil && high != nil:
				// One word permute takes the results (high words) of
				// both halves and zeroes the dropped ones: cheaper than
				// shift, merge and masked move.
				fe, fo := halfPair(s.Offset(off), mul, add)
				KMOVD(m.Offset(4*v), k)
				VPERMT2W_Z(fo, high, k, fe)
				r = fe
			case vd == nil:
				// The same permute with the table loaded into the
				// destination, so that no register holds it meanwhile.
				fe, fo := halfPair(s.Offset(off), mul, add)
				KMOVD(m.Offset(4*v), k)
				r = ZMM()
				VMOVDQU16(highWords, r)
				VPERMI2W_Z(fo, fe, k, r)
			default:
				r = halfChunk(e, s.Offset(off), mul, add)
				KMOVD(m.Offset(4*v), k)
				selectWords(true, r, k, vd)
			}
			storeVec(true, r, d.Offset(off))
		case e.wide:
			// Two ymm of 16 results each. (Inserting a ymm result into a
			// zmm would make avo keep the zmm's never-written upper half
			// live from the function's entry.)
			for i := 0; i < 2; i++ {
				h := convF16(true, s.Offset(off+32*i), mul, add)
				k := K()
				KMOVW(m.Offset(4*v+2*i), k)
				var vdy Register
				if vd != nil {
					vdy = vd.(VecVirtual).AsY()
				}
				selectWords(true, h, k, vdy)
				storeVec(true, h, d.Offset(off+32*i))
			}
		default:
			// The 16 mask bits of the vector, broadcast to all words; word
			// l tests bit l.
			wm := YMM()
			VPBROADCASTW(m.Offset(2*v), wm)
			VPAND(bitsWord, wm, wm)
			VPCMPEQW(bitsWord, wm, wm)
			if e.half == bf16 {
				r := halfChunk(e, s.Offset(off), mul, add)
				selectWords(false, r, wm, vd)
				storeVec(false, r, d.Offset(off))
				break
			}
			wh := XMM()
			VEXTRACTI128(U8(1), wm, wh)
			for i, w := range []Register{wm.(VecVirtual).AsX(), wh} {
				h := convF16(false, s.Offset(off+16*i), mul, add)
				var vdx Register
				if vd != nil {
					vdx = vd.(VecVirtual).AsX()
				}
				selectWords(false, h, w, vdx)
				storeVec(false, h, d.Offset(off+16*i))
			}
		}
	}
}

// storeVec stores a vector of 16-bit elements, non-temporal in the NT
// variants; wide (AVX-512) code may use registers only EVEX encodes.
func storeVec(wide bool, r Register, m Mem) {
	switch {
	case ntStores:
		VMOVNTDQ(r, m)
	case wide:
		VMOVDQU16(r, m)
	default:
		VMOVDQU(r, m)
	}
}

// selectWords emits r = mask ? r : d word by word (d = +0 if vd is nil); the
// mask is a k register (wide) or a vector of all-ones or zero words.
func selectWords(wide bool, r, mask, vd Register) {
	switch {
	case wide && vd == nil:
		VMOVDQU16_Z(r, mask, r)
	case wide:
		VPBLENDMW(r, vd, mask, r) // mask ? r : d
	case vd == nil:
		VPAND(mask, r, r)
	default:
		VPBLENDVB(mask, r, vd, r) // mask ? r : d
	}
}

// halfApplyKernel emits applyBF16/applyF16 (affine false) or
// affineBF16/affineF16 (affine true).
func halfApplyKernel(e elemKind, affine bool, name string) {
	if affine {
		TEXT(name, NOSPLIT, "func(dst, src *uint16, mask *uint64, n int, a, b float32, d uint16)")
		Pragma("noescape")
		doc := []string{fmt.Sprintf("%s sets dst[i] = bit i%%64 of mask[i/64] ? round16(float32(float32(src[i])*a)+b) : d", name),
			fmt.Sprintf("for the 64*n %s elements, n > 0 (two float32 roundings, never fused).", e.half)}
		if ntStores {
			doc = append(doc, "Its stores are non-temporal and not fenced: dst must be 64-byte aligned.")
		}
		Doc(doc...)
	} else {
		TEXT(name, NOSPLIT, "func(dst, src *uint16, mask *uint64, n int, scale float32)")
		Pragma("noescape")
		doc := []string{fmt.Sprintf("%s sets dst[i] = bit i%%64 of mask[i/64] ? round16(float32(src[i])*scale) : +0", name),
			fmt.Sprintf("for the 64*n %s elements, n > 0.", e.half)}
		if ntStores {
			doc = append(doc, "Its stores are non-temporal and not fenced: dst must be 64-byte aligned.")
		}
		Doc(doc...)
	}
	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	mp := Load(Param("mask"), GP64())
	n := Load(Param("n"), GP64())
	if affine {
		va, vb := broadcastParam(e, "a"), broadcastParam(e, "b")
		p, err := Param("d").Resolve()
		if err != nil {
			panic(err)
		}
		var vd Register
		if e.wide {
			vd = ZMM()
		} else {
			vd = YMM()
		}
		VPBROADCASTW(p.Addr, vd)
		halfLoop(e, 64, "affine", src, dst, mp, n, va, vb, vd)
	} else {
		halfLoop(e, 64, "scale", src, dst, mp, n, broadcastScale(e), nil, nil)
	}
	VZEROUPPER()
	RET()
}

// kernelSet emits one instruction set's kernels, named <kernel>AVX512 or
// <kernel>AVX2; while ntStores is set, the non-temporal variants of its data
// kernels (<kernel>NTAVX512, ...), which share the ordinary mask kernel.
func kernelSet(wide bool) {
	isa := "AVX2"
	if wide {
		isa = "AVX512"
	}
	if ntStores {
		isa = "NT" + isa
	} else {
		groupKernel(wide, nil, "maskGroups"+isa)
	}
	groupKernel(wide, &elemKind{wide: wide}, "forward32"+isa)
	groupKernel(wide, &elemKind{wide: wide, double: true}, "forward64"+isa)
	applyKernel(elemKind{wide: wide}, "apply32"+isa)
	applyKernel(elemKind{wide: wide, double: true}, "apply64"+isa)
	affineKernel(elemKind{wide: wide}, "affine32"+isa)
	affineKernel(elemKind{wide: wide, double: true}, "affine64"+isa)
	for _, h := range []halfFmt{bf16, f16} {
		e := elemKind{wide: wide, half: h}
		groupKernel(wide, &e, "forward"+h.String()+isa)
		halfApplyKernel(e, false, "apply"+h.String()+isa)
		halfApplyKernel(e, true, "affine"+h.String()+isa)
	}
}

// storeFence emits the fence that orders a call's non-temporal stores
// before whatever the goroutine does next (such as telling another one that
// the data is ready).
func storeFence() {
	TEXT("storeFence", NOSPLIT, "func()")
	Doc("storeFence orders the non-temporal stores before it (SFENCE).")
	SFENCE()
	RET()
}

// onesCount emits the POPCNT loop that counts the kept bits of the mask
// words the driver packs: the pure-Go loop's bits.OnesCount64 tests for
// POPCNT at every word (GOAMD64=v1), and four sums hide POPCNT's latency.
func onesCount() {
	TEXT("onesCountPOPCNT", NOSPLIT, "func(p *uint64, n int) int")
	Pragma("noescape")
	Doc("onesCountPOPCNT returns the set bits of the n words at p (POPCNT).")
	p := Load(Param("p"), GP64())
	n := Load(Param("n"), GP64())
	// A destination per sum, all live at once so that avo keeps them apart:
	// older cores make POPCNT wait for its destination register.
	var sum, t [4]Register
	for i := range sum {
		sum[i], t[i] = GP64(), GP64()
		XORL(sum[i].(GPVirtual).As32(), sum[i].(GPVirtual).As32())
	}
	Label("count4")
	CMPQ(n, U8(4))
	JL(LabelRef("count1"))
	for i := range sum {
		POPCNTQ(Mem{Base: p}.Offset(8*i), t[i])
	}
	for i := range sum {
		ADDQ(t[i], sum[i])
	}
	ADDQ(U8(32), p)
	SUBQ(U8(4), n)
	JMP(LabelRef("count4"))
	Label("count1")
	TESTQ(n, n)
	JZ(LabelRef("summed"))
	POPCNTQ(Mem{Base: p}, t[0])
	ADDQ(t[0], sum[0])
	ADDQ(U8(8), p)
	DECQ(n)
	JMP(LabelRef("count1"))
	Label("summed")
	ADDQ(sum[1], sum[0])
	ADDQ(sum[3], sum[2])
	ADDQ(sum[2], sum[0])
	Store(sum[0], ReturnIndex(0))
	RET()
}

func main() {
	ConstraintExpr("amd64,!purego,!noasm")
	constants()

	// The ordinary kernels, then their non-temporal variants for calls much
	// larger than the caches (the package's kernelsFor chooses them; with
	// dst not 64-byte aligned its wrappers fall back to the ordinary ones).
	for _, nt := range []bool{false, true} {
		ntStores = nt
		for _, wide := range []bool{true, false} {
			kernelSet(wide)
		}
	}
	ntStores = false
	storeFence()
	onesCount()
	Generate()
}

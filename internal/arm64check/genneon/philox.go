package main

// Vector register map of the group kernels. Vector v (0..3) of a block
// holds the Philox state x0..x3 of groups 4v..4v+3 in V(4v)..V(4v+3).
const (
	vT    = 16 // V16-V19: temporaries
	vM    = 20 // V20.S[0] = M0, V20.S[1] = M1
	vKa   = 21 // V21, V22: broadcast keys / per-call constants
	vKb   = 22
	vKept = 23 // V23-V26: kept words
	vUnd  = 27 // V27-V30: undecided words
	vCtr  = 31 // V31: uint32(first+j) for j = 0..3 of the block
)

// General purpose registers of the group kernels. R16, R17 (linker
// scratch), R18, R27-R30 are not used.
//
//	R0 out    R1 groups left  R2 call c   R3 plan   R4 uint32(first>>32)
//	R5-R10 roundKeys[0..5]    R11 M0      R12 M1    R13 calls
//	R14 round key pointer     R15 keepAt pointer
//	R19 dst   R20 src   R21 scale bits   R22-R26 temporaries
const (
	rT1, rT2, rT3, rT4, rT5 = "R22", "R23", "R24", "R25", "R26"
)

// x returns the register of state word k of vector v.
func x(v, k int) int { return 4*v + k }

// philoxBlock emits the mask generation of one block of 16 groups: it
// leaves the kept words in V23-V26 and stores them at (R0), advancing R0.
func philoxBlock() {
	p("block:")
	for v := 0; v < 4; v++ {
		eor(vKept+v, vKept+v, vKept+v)
		ins("VMOVI $255, V%d.B16", vUnd+v)
	}
	ins("ADD $80, R3, R15")
	ins("MOVD ZR, R2")
	p("call:")
	// Scalar part of rounds 0 and 1: x0 = uint32(h) varies per lane, but
	// x1 = uint32(first>>32), x2 = c and x3 = 0 are the same in every lane.
	ins("MUL R2, R12, %s // p1 = M1*c", rT1)
	ins("LSR $32, %s, %s", rT1, rT2)
	ins("EORW R4, %s, %s", rT2, rT2)
	ins("EORW R5, %s, %s // a0 = x0 after round 0", rT2, rT2)
	ins("EORW R7, %s, %s // a1^k2 (a1 = x1 after round 0)", rT1, rT3)
	ins("MUL %s, R11, %s // q = M0*a0", rT2, rT4)
	ins("LSR $32, %s, %s", rT4, rT5)
	ins("EORW R8, %s, %s // hi(q)^k3", rT5, rT5)
	ins("EORW R10, %s, %s // lo(q)^k5 (x3 after round 1, xored with k5)", rT4, rT4)

	// Round 0: x2 = hi(M0*ctr)^k1, x3 = lo(M0*ctr).
	ins("VDUP R6, V%d.S4", vKa)
	ins("MOVD $4, %s", rT1)
	ins("VDUP %s, V%d.S4", rT1, vKb)
	for v := 0; v < 4; v++ {
		ctr := vCtr
		if v > 0 {
			prev := vCtr
			if v > 1 {
				prev = x(v-1, 0)
			}
			ins("VADD V%d.S4, V%d.S4, V%d.S4", vKb, prev, x(v, 0))
			ctr = x(v, 0)
		}
		t := vT + 2*(v&1)
		umull(t, ctr, vM, 0, false)
		umull(t+1, ctr, vM, 0, true)
		ins("VUZP2 V%d.S4, V%d.S4, V%d.S4", t+1, t, x(v, 2))
		eor(x(v, 2), x(v, 2), vKa)
		ins("VUZP1 V%d.S4, V%d.S4, V%d.S4", t+1, t, x(v, 3))
	}
	// Round 1: x0 = hi(M1*x2)^a1^k2, x1 = lo(M1*x2), x2 = x3^hi(q)^k3.
	ins("VDUP %s, V%d.S4", rT5, vKa)
	ins("VDUP %s, V%d.S4", rT3, vKb)
	for v := 0; v < 4; v++ {
		t := vT + 2*(v&1)
		umull(t, x(v, 2), vM, 1, false)
		umull(t+1, x(v, 2), vM, 1, true)
		eor(x(v, 2), x(v, 3), vKa)
		ins("VUZP2 V%d.S4, V%d.S4, V%d.S4", t+1, t, x(v, 0))
		eor(x(v, 0), x(v, 0), vKb)
		ins("VUZP1 V%d.S4, V%d.S4, V%d.S4", t+1, t, x(v, 1))
	}
	// Round 2: x3 = lo(q) is the same in every lane; V22 = lo(q)^k5.
	ins("VDUP R9, V%d.S4", vKa)
	ins("VDUP %s, V%d.S4", rT4, vKb)
	for v := 0; v < 4; v++ {
		round(v, false)
	}
	// Rounds 3..9.
	ins("ADD $24, R3, R14")
	for r := 3; r < 10; r++ {
		ins("VLD2R.P 8(R14), [V%d.S4, V%d.S4]", vKa, vKb)
		for v := 0; v < 4; v++ {
			round(v, true)
		}
	}
	// Decide depths 4c..4c+3, most significant first.
	for k := 0; k < 4; k++ {
		ins("MOVWU.P 4(R15), %s", rT1)
		ins("CBZW %s, tb0d%d", rT1, k)
		// T has a 1 here: a 0 bit keeps the lane, a 1 bit leaves it undecided.
		for v := 0; v < 4; v++ {
			bic(vT+v, vUnd+v, x(v, k))
			ins("VORR V%d.B16, V%d.B16, V%d.B16", vT+v, vKept+v, vKept+v)
			ins("VAND V%d.B16, V%d.B16, V%d.B16", x(v, k), vUnd+v, vUnd+v)
		}
		ins("JMP done%d", k)
		p("tb0d%d:", k)
		// T has a 0 here: a 1 bit drops the lane, a 0 bit leaves it undecided.
		for v := 0; v < 4; v++ {
			bic(vUnd+v, vUnd+v, x(v, k))
		}
		p("done%d:", k)
	}
	ins("ADD $1, R2")
	ins("CMP R13, R2")
	ins("BEQ store")
	ins("VORR V%d.B16, V%d.B16, V%d.B16", vUnd, vUnd+1, vT)
	ins("VORR V%d.B16, V%d.B16, V%d.B16", vUnd+2, vUnd+3, vT+1)
	ins("VORR V%d.B16, V%d.B16, V%d.B16", vT, vT+1, vT)
	umaxv(vT, vT)
	ins("VMOV V%d.S[0], %s", vT, rT1)
	ins("CBNZW %s, call", rT1)
	p("store:")
	ins("VST1.P [V%d.S4, V%d.S4, V%d.S4, V%d.S4], 64(R0)", vKept, vKept+1, vKept+2, vKept+3)
	ins("MOVD $16, %s", rT1)
	ins("VDUP %s, V%d.S4", rT1, vT)
	ins("VADD V%d.S4, V%d.S4, V%d.S4", vT, vCtr, vCtr)
}

// round emits one Philox round of vector v. With keyX3 the round xors x3
// with V22 (the round key k1); without, x3 is ignored and V22 already holds
// x3^k1 (round 2). V21 holds k0.
func round(v int, keyX3 bool) {
	x0, x1, x2, x3 := x(v, 0), x(v, 1), x(v, 2), x(v, 3)
	umull(vT, x0, vM, 0, false)
	umull(vT+1, x0, vM, 0, true)
	umull(vT+2, x2, vM, 1, false)
	umull(vT+3, x2, vM, 1, true)
	eor(x1, x1, vKa)
	if keyX3 {
		eor(x3, x3, vKb)
	} else {
		x3 = vKb
	}
	ins("VUZP2 V%d.S4, V%d.S4, V%d.S4", vT+3, vT+2, x0)
	eor(x0, x0, x1)
	ins("VUZP1 V%d.S4, V%d.S4, V%d.S4", vT+3, vT+2, x1)
	ins("VUZP2 V%d.S4, V%d.S4, V%d.S4", vT+1, vT, x2)
	eor(x2, x2, x3)
	ins("VUZP1 V%d.S4, V%d.S4, V%d.S4", vT+1, vT, x(v, 3))
}

// outOff is the frame offset of the group kernels' out argument: 0 in
// maskGroups, 16 in the forward kernels (after dst and src).
var outOff int

// groupPrologue loads the arguments common to the group kernels.
func groupPrologue() {
	ins("MOVD out+%d(FP), R0", outOff)
	ins("MOVD n+%d(FP), R1", outOff+8)
	ins("MOVD first+%d(FP), R2", outOff+16)
	ins("MOVD plan+%d(FP), R3", outOff+24)
	ins("LSR $32, R2, R4")
	ins("VDUP R2, V%d.S4", vCtr)
	ins("MOVD $neonIota<>(SB), %s", rT1)
	ins("VLD1 (%s), [V%d.S4]", rT1, vT)
	ins("VADD V%d.S4, V%d.S4, V%d.S4", vT, vCtr, vCtr)
	for i := 0; i < 6; i++ {
		ins("MOVWU %d(R3), R%d", 4*i, 5+i)
	}
	ins("MOVD $0xD2511F53, R11")
	ins("MOVD $0xCD9E8D57, R12")
	ins("VMOV R11, V%d.S[0]", vM)
	ins("VMOV R12, V%d.S[1]", vM)
	ins("MOVD 208(R3), R13")
}

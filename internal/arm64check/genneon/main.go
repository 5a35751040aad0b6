// Command genneon writes kernel_arm64.s, the NEON kernels of package dropout.
//
// The Go assembler lacks vector UMULL, FMUL, FADD, BIC, UMAXV, FCVTL, FCVTN
// and ADDHN, so those are emitted as WORD directives with the instruction in
// a comment on the same line; the arm64check test decodes every WORD and
// compares it with that comment. Run from internal/arm64check:
//
//	go run ./genneon -o ../../kernel_arm64.s
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"os"
)

var buf bytes.Buffer

func p(format string, args ...any) { fmt.Fprintf(&buf, format+"\n", args...) }
func ins(format string, args ...any) {
	fmt.Fprintf(&buf, "\t"+format+"\n", args...)
}

// word emits an instruction the Go assembler cannot spell.
func word(enc uint32, text string) { ins("WORD $0x%08x // %s", enc, text) }

// umull emits umull (hi=false) or umull2 (hi=true) Vd.2d, Vn.{2s,4s}, Vm.s[idx].
func umull(d, n, m, idx int, hi bool) {
	enc := uint32(0x2f80a000) | uint32(idx&1)<<21 | uint32(idx>>1)<<11 | uint32(m)<<16 | uint32(n)<<5 | uint32(d)
	if hi {
		enc |= 1 << 30
		word(enc, fmt.Sprintf("umull2 v%d.2d, v%d.4s, v%d.s[%d]", d, n, m, idx))
		return
	}
	word(enc, fmt.Sprintf("umull v%d.2d, v%d.2s, v%d.s[%d]", d, n, m, idx))
}

// bic emits bic Vd.16b, Vn.16b, Vm.16b (d = n &^ m).
func bic(d, n, m int) {
	word(0x4e601c00|uint32(m)<<16|uint32(n)<<5|uint32(d), fmt.Sprintf("bic v%d.16b, v%d.16b, v%d.16b", d, n, m))
}

// fmul emits fmul Vd.T, Vn.T, Vm.T for T = 4s (f64=false) or 2d.
func fmul(d, n, m int, f64 bool) {
	enc, t := uint32(0x6e20dc00), "4s"
	if f64 {
		enc, t = 0x6e60dc00, "2d"
	}
	word(enc|uint32(m)<<16|uint32(n)<<5|uint32(d), fmt.Sprintf("fmul v%d.%s, v%d.%s, v%d.%s", d, t, n, t, m, t))
}

// fadd emits fadd Vd.T, Vn.T, Vm.T for T = 4s (f64=false) or 2d.
func fadd(d, n, m int, f64 bool) {
	enc, t := uint32(0x4e20d400), "4s"
	if f64 {
		enc, t = 0x4e60d400, "2d"
	}
	word(enc|uint32(m)<<16|uint32(n)<<5|uint32(d), fmt.Sprintf("fadd v%d.%s, v%d.%s, v%d.%s", d, t, n, t, m, t))
}

// fcvtl emits fcvtl Vd.4s, Vn.4h (hi=false) or fcvtl2 Vd.4s, Vn.8h: the
// exact widening of float16 lanes.
func fcvtl(d, n int, hi bool) {
	if hi {
		word(0x4e217800|uint32(n)<<5|uint32(d), fmt.Sprintf("fcvtl2 v%d.4s, v%d.8h", d, n))
		return
	}
	word(0x0e217800|uint32(n)<<5|uint32(d), fmt.Sprintf("fcvtl v%d.4s, v%d.4h", d, n))
}

// fcvtn emits fcvtn Vd.4h, Vn.4s (hi=false) or fcvtn2 Vd.8h, Vn.4s: float32
// to float16 rounded per FPCR (round to nearest even, no flush to zero, NaNs
// quieted keeping the sign and the upper payload bits).
func fcvtn(d, n int, hi bool) {
	if hi {
		word(0x4e216800|uint32(n)<<5|uint32(d), fmt.Sprintf("fcvtn2 v%d.8h, v%d.4s", d, n))
		return
	}
	word(0x0e216800|uint32(n)<<5|uint32(d), fmt.Sprintf("fcvtn v%d.4h, v%d.4s", d, n))
}

// addhn emits addhn Vd.4h, Vn.4s, Vm.4s (hi=false) or addhn2 Vd.8h, ...: the
// high halves of the 32-bit sums n+m.
func addhn(d, n, m int, hi bool) {
	if hi {
		word(0x4e604000|uint32(m)<<16|uint32(n)<<5|uint32(d), fmt.Sprintf("addhn2 v%d.8h, v%d.4s, v%d.4s", d, n, m))
		return
	}
	word(0x0e604000|uint32(m)<<16|uint32(n)<<5|uint32(d), fmt.Sprintf("addhn v%d.4h, v%d.4s, v%d.4s", d, n, m))
}

// umaxv emits umaxv Sd, Vn.4s.
func umaxv(d, n int) {
	word(0x6eb0a800|uint32(n)<<5|uint32(d), fmt.Sprintf("umaxv s%d, v%d.4s", d, n))
}

func eor(d, n, m int) { ins("VEOR V%d.B16, V%d.B16, V%d.B16", m, n, d) }

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

var outOff int

// scale32 emits dst[0:32] = bit i of the word in V16 ? src[i]*scale : +0
// (scale broadcast in V17, bit constants in V8-V15 for float32 or V0-V15
// for float64), advancing R20 (src) and R19 (dst). With affine it emits
// dst[i] = bit i ? T(src[i]*a)+b : d instead, with a, b, d broadcast in V17,
// V18, V19: a separate FMUL and FADD (two roundings, as the Go reference),
// then BIF inserts d into the lanes whose bit is 0.
func scale32(f64, affine bool) {
	// Per quarter: load vectors V(ld)..V(ld+3), lane masks V(lm)..V(lm+3).
	quarters, per, ld, lm, arr, bits := 2, 4, 1, 21, "S4", 8
	if f64 {
		quarters, per, ld, lm, arr, bits = 4, 4, 21, 25, "D2", 0
	}
	for q := 0; q < quarters; q++ {
		ins("VLD1.P 64(R20), [V%d.%s, V%d.%s, V%d.%s, V%d.%s]", ld, arr, ld+1, arr, ld+2, arr, ld+3, arr)
		for i := 0; i < per; i++ {
			ins("VCMTST V%d.%s, V16.%s, V%d.%s", bits+4*q+i, arr, arr, lm+i, arr)
		}
		for i := 0; i < per; i++ {
			fmul(ld+i, ld+i, 17, f64)
		}
		if affine {
			for i := 0; i < per; i++ {
				fadd(ld+i, ld+i, 18, f64)
			}
			for i := 0; i < per; i++ {
				ins("VBIF V%d.B16, V19.B16, V%d.B16", lm+i, ld+i)
			}
		} else {
			for i := 0; i < per; i++ {
				ins("VAND V%d.B16, V%d.B16, V%d.B16", lm+i, ld+i, ld+i)
			}
		}
		ins("VST1.P [V%d.%s, V%d.%s, V%d.%s, V%d.%s], 64(R19)", ld, arr, ld+1, arr, ld+2, arr, ld+3, arr)
	}
}

// loadBits loads the CMTST bit constants (clobbering rT4).
func loadBits(f64 bool) {
	if !f64 {
		ins("MOVD $neonBits32<>(SB), %s", rT4)
		ins("VLD1.P 64(%s), [V8.S4, V9.S4, V10.S4, V11.S4]", rT4)
		ins("VLD1 (%s), [V12.S4, V13.S4, V14.S4, V15.S4]", rT4)
		return
	}
	ins("MOVD $neonBits64<>(SB), %s", rT4)
	for i := 0; i < 4; i++ {
		ins("VLD1.P 64(%s), [V%d.D2, V%d.D2, V%d.D2, V%d.D2]", rT4, 4*i, 4*i+1, 4*i+2, 4*i+3)
	}
}

func maskGroups() {
	p("// func maskGroupsNEON(out *uint32, n int, first uint64, plan *philoxPlan)")
	p("TEXT ·maskGroupsNEON(SB), NOSPLIT, $0-32")
	outOff = 0
	groupPrologue()
	philoxBlock()
	ins("SUBS $16, R1")
	ins("BGT block")
	ins("RET")
	p("")
}

func forward(f64 bool) {
	name, typ, arr, scaleSize := "forward32NEON", "float32", "S4", 4
	if f64 {
		name, typ, arr, scaleSize = "forward64NEON", "float64", "D2", 8
	}
	p("// func %s(dst, src *%s, out *uint32, n int, first uint64, plan *philoxPlan, scale %s)", name, typ, typ)
	p("TEXT ·%s(SB), NOSPLIT, $0-%d", name, 48+scaleSize)
	ins("MOVD dst+0(FP), R19")
	ins("MOVD src+8(FP), R20")
	if f64 {
		ins("MOVD scale+48(FP), R21")
	} else {
		ins("MOVWU scale+48(FP), R21")
	}
	outOff = 16
	groupPrologue()
	philoxBlock()
	// Scale the min(n, 16) groups of this block by their words.
	ins("SUB $64, R0, %s", rT1)
	ins("MOVD $16, %s", rT2)
	ins("CMP %s, R1", rT2)
	ins("CSEL LT, R1, %s, %s", rT2, rT2)
	loadBits(f64)
	ins("VDUP R21, V17.%s", arr)
	p("group:")
	ins("MOVWU.P 4(%s), %s", rT1, rT3)
	ins("VDUP %s, V16.%s", rT3, arr)
	scale32(f64, false)
	ins("SUBS $1, %s", rT2)
	ins("BNE group")
	ins("SUBS $16, R1")
	ins("BGT block")
	ins("RET")
	p("")
}

func apply(f64 bool) {
	name, typ, scaleSize := "apply32NEON", "float32", 4
	if f64 {
		name, typ, scaleSize = "apply64NEON", "float64", 8
	}
	p("// func %s(dst, src *%s, mask *uint64, n int, scale %s)", name, typ, typ)
	p("TEXT ·%s(SB), NOSPLIT, $0-%d", name, 32+scaleSize)
	applyPrologue()
	loadBits(f64)
	broadcast(f64, "scale", 32, 17)
	applyLoop(f64, false)
}

// affine emits dst[i] = bit i of mask ? T(src[i]*a)+b : d, the loop of
// apply with an FADD of b and a BIF of d in place of the AND.
func affine(f64 bool) {
	name, typ, size := "affine32NEON", "float32", 4
	if f64 {
		name, typ, size = "affine64NEON", "float64", 8
	}
	p("// func %s(dst, src *%s, mask *uint64, n int, a, b, d %s)", name, typ, typ)
	p("TEXT ·%s(SB), NOSPLIT, $0-%d", name, 32+3*size)
	applyPrologue()
	loadBits(f64)
	broadcast(f64, "a", 32, 17)
	broadcast(f64, "b", 32+size, 18)
	broadcast(f64, "d", 32+2*size, 19)
	applyLoop(f64, true)
}

// applyPrologue loads dst, src, mask and n of the mask-word kernels.
func applyPrologue() {
	ins("MOVD dst+0(FP), R19")
	ins("MOVD src+8(FP), R20")
	ins("MOVD mask+16(FP), R0")
	ins("MOVD n+24(FP), R1")
}

// broadcast loads the float argument name at off(FP) into every lane of Vv
// through R21.
func broadcast(f64 bool, name string, off, v int) {
	if f64 {
		ins("MOVD %s+%d(FP), R21", name, off)
		ins("VDUP R21, V%d.D2", v)
		return
	}
	ins("MOVWU %s+%d(FP), R21", name, off)
	ins("VDUP R21, V%d.S4", v)
}

// applyLoop emits the loop over the n >= 1 mask words, 64 elements each.
func applyLoop(f64, affine bool) {
	arr := "S4"
	if f64 {
		arr = "D2"
	}
	p("word:")
	ins("MOVD.P 8(R0), %s", rT1)
	ins("MOVWU %s, %s", rT1, rT2)
	ins("VDUP %s, V16.%s", rT2, arr)
	scale32(f64, affine)
	ins("LSR $32, %s, %s", rT1, rT2)
	ins("VDUP %s, V16.%s", rT2, arr)
	scale32(f64, affine)
	ins("SUBS $1, R1")
	ins("BNE word")
	ins("RET")
	p("")
}

// Register map of the 16-bit element loop. philoxBlock clobbers every
// vector register, so forward16 reloads the constants for each block.
//
//	V0-V3    the 32 16-bit elements of a group (H8), then the results
//	V4-V11   the elements widened to float32 (S4)
//	V12-V19  temporaries, then the lane masks
//	V22, V23 bits 0-15 and 16-31 of the mask word in every 16-bit lane
//	V20, V31 untouched by forward16: Philox's multipliers and counters
//	V24, V25 CMTST constants: lanes 1<<k, k = 0..7 and 8..15 (H8)
//	V26      zero (bfloat16 widening)
//	V27, V28 0x00010000 and 0x00007fff in every 32-bit lane (bfloat16 rounding)
//	V29      scale (or a), V30 b, V31 d (H8, affine16 only)

// consts16 loads V24-V28 (clobbering rT4).
func consts16(bf bool) {
	ins("MOVD $neonBits16<>(SB), %s", rT4)
	ins("VLD1 (%s), [V24.H8, V25.H8]", rT4)
	if !bf {
		return
	}
	eor(26, 26, 26)
	ins("MOVD $0x10000, %s", rT4)
	ins("VDUP %s, V27.S4", rT4)
	ins("MOVD $0x7fff, %s", rT4)
	ins("VDUP %s, V28.S4", rT4)
}

// scale16 emits one group of 32 16-bit elements: dst[i] = bit i of the low
// 32 bits of register w ? round16(float32(src[i])*scale) : 0x0000, or with
// affine round16(float32(float32(src[i])*a)+b) : d, advancing R20 (src) and
// R19 (dst). It clobbers rT5.
//
// float16 widens with FCVTL (exact) and narrows with FCVTN, which with the
// default FPCR (Go never changes it: round to nearest even, FZ = FZ16 = 0,
// DN = 0, AHP = 0) gives Float16FromFloat32's bits, NaNs included.
//
// bfloat16 widens by interleaving with zeros (x<<16) and narrows with
// integer operations, as BFloat16FromFloat32: y + 0x7fff + (y>>16 & 1),
// then ADDHN takes the high halves. CMTST makes -(y>>16 & 1), which is
// subtracted from 0x7fff. NaN lanes need no special case because every NaN
// here comes out of FMUL or FADD, so it is quiet (bit 22 set, which is
// BFloat16FromFloat32's 0x0040), and has zero low 16 bits: the inputs are
// widened bfloat16 values, and NaNs ARM creates are the default NaN
// 0x7fc00000. Adding at most 0x8000 to zero low bits does not carry, so the
// high half is exactly y>>16 | 0x0040. Only a NaN scale, a or b can bring
// nonzero low bits in; the Go wrappers send those calls to the pure-Go
// kernels. (They do so for float16 too: FCVTL quiets a signalling NaN
// input, so with a signalling NaN multiplier FMUL would pick the other NaN
// than the pure-Go kernel, whose widening keeps the input signalling.)
func scale16(bf, affine bool, w string) {
	ins("VDUP %s, V22.H8", w)
	ins("LSRW $16, %s, %s", w, rT5)
	ins("VDUP %s, V23.H8", rT5)
	ins("VLD1.P 64(R20), [V0.H8, V1.H8, V2.H8, V3.H8]")
	for i := 0; i < 4; i++ {
		if bf {
			ins("VZIP1 V%d.H8, V26.H8, V%d.H8", i, 4+2*i)
			ins("VZIP2 V%d.H8, V26.H8, V%d.H8", i, 5+2*i)
		} else {
			fcvtl(4+2*i, i, false)
			fcvtl(5+2*i, i, true)
		}
	}
	for j := 4; j < 12; j++ {
		fmul(j, j, 29, false)
	}
	if affine {
		for j := 4; j < 12; j++ {
			fadd(j, j, 30, false)
		}
	}
	if bf {
		for j := 0; j < 8; j++ {
			ins("VCMTST V27.S4, V%d.S4, V%d.S4", 4+j, 12+j)
		}
		for j := 0; j < 8; j++ {
			ins("VSUB V%d.S4, V28.S4, V%d.S4", 12+j, 12+j)
		}
		for i := 0; i < 4; i++ {
			addhn(i, 4+2*i, 12+2*i, false)
			addhn(i, 5+2*i, 13+2*i, true)
		}
	} else {
		for i := 0; i < 4; i++ {
			fcvtn(i, 4+2*i, false)
			fcvtn(i, 5+2*i, true)
		}
	}
	// Elements 8i..8i+7 are bits 8i..8i+7 of the word.
	for i := 0; i < 4; i++ {
		ins("VCMTST V%d.H8, V%d.H8, V%d.H8", 24+i&1, 22+i>>1, 12+i)
	}
	for i := 0; i < 4; i++ {
		if affine {
			ins("VBIF V%d.B16, V31.B16, V%d.B16", 12+i, i)
		} else {
			ins("VAND V%d.B16, V%d.B16, V%d.B16", 12+i, i, i)
		}
	}
	ins("VST1.P [V0.H8, V1.H8, V2.H8, V3.H8], 64(R19)")
}

func name16(base string, bf bool) (string, string) {
	if bf {
		return base + "BF16NEON", "BFloat16"
	}
	return base + "F16NEON", "Float16"
}

func forward16(bf bool) {
	name, typ := name16("forward", bf)
	p("// func %s(dst, src *%s, out *uint32, n int, first uint64, plan *philoxPlan, scale float32)", name, typ)
	p("TEXT ·%s(SB), NOSPLIT, $0-52", name)
	ins("MOVD dst+0(FP), R19")
	ins("MOVD src+8(FP), R20")
	ins("MOVWU scale+48(FP), R21")
	outOff = 16
	groupPrologue()
	philoxBlock()
	// Scale the min(n, 16) groups of this block by their words.
	ins("SUB $64, R0, %s", rT1)
	ins("MOVD $16, %s", rT2)
	ins("CMP %s, R1", rT2)
	ins("CSEL LT, R1, %s, %s", rT2, rT2)
	consts16(bf)
	ins("VDUP R21, V29.S4")
	p("group:")
	ins("MOVWU.P 4(%s), %s", rT1, rT3)
	scale16(bf, false, rT3)
	ins("SUBS $1, %s", rT2)
	ins("BNE group")
	ins("SUBS $16, R1")
	ins("BGT block")
	ins("RET")
	p("")
}

func apply16(bf bool) {
	name, typ := name16("apply", bf)
	p("// func %s(dst, src *%s, mask *uint64, n int, scale float32)", name, typ)
	p("TEXT ·%s(SB), NOSPLIT, $0-36", name)
	applyPrologue()
	consts16(bf)
	broadcast(false, "scale", 32, 29)
	applyLoop16(bf, false)
}

func affine16(bf bool) {
	name, typ := name16("affine", bf)
	p("// func %s(dst, src *%s, mask *uint64, n int, a, b float32, d %s)", name, typ, typ)
	p("TEXT ·%s(SB), NOSPLIT, $0-42", name)
	applyPrologue()
	consts16(bf)
	broadcast(false, "a", 32, 29)
	broadcast(false, "b", 36, 30)
	ins("MOVHU d+40(FP), R21")
	ins("VDUP R21, V31.H8")
	applyLoop16(bf, true)
}

// applyLoop16 emits the loop over the n >= 1 mask words, 64 elements each.
func applyLoop16(bf, affine bool) {
	p("word:")
	ins("MOVD.P 8(R0), %s", rT1)
	scale16(bf, affine, rT1)
	ins("LSR $32, %s, %s", rT1, rT2)
	scale16(bf, affine, rT2)
	ins("SUBS $1, R1")
	ins("BNE word")
	ins("RET")
	p("")
}

func data() {
	p("// neonIota is the lane offset of the first block's counters.")
	for i := 0; i < 4; i++ {
		p("DATA neonIota<>+%d(SB)/4, $%d", 4*i, i)
	}
	p("GLOBL neonIota<>(SB), RODATA|NOPTR, $16")
	p("")
	p("// neonBits32 is CMTST constants: vector i has lanes 1<<(4i+k), k = 0..3.")
	for i := 0; i < 32; i++ {
		p("DATA neonBits32<>+%d(SB)/4, $0x%08x", 4*i, uint32(1)<<i)
	}
	p("GLOBL neonBits32<>(SB), RODATA|NOPTR, $128")
	p("")
	p("// neonBits64 is CMTST constants: vector i has lanes 1<<(2i+k), k = 0..1.")
	for i := 0; i < 32; i++ {
		p("DATA neonBits64<>+%d(SB)/8, $0x%016x", 8*i, uint64(1)<<i)
	}
	p("GLOBL neonBits64<>(SB), RODATA|NOPTR, $256")
	p("")
	p("// neonBits16 is CMTST constants: vector i has lanes 1<<(8i+k), k = 0..7.")
	for i := 0; i < 16; i++ {
		p("DATA neonBits16<>+%d(SB)/2, $0x%04x", 2*i, uint16(1)<<i)
	}
	p("GLOBL neonBits16<>(SB), RODATA|NOPTR, $32")
	p("")
}

func main() {
	out := flag.String("o", "", "output file (default stdout)")
	flag.Parse()
	p("// Code generated by internal/arm64check/genneon; DO NOT EDIT.")
	p("")
	p("//go:build arm64 && !purego && !noasm")
	p("")
	p("// NEON kernels of package dropout. A block is 16 groups: four vectors of")
	p("// four Philox4x32-10 lanes (one lane per group). Products come from")
	p("// UMULL/UMULL2 by element; UZP1/UZP2 split them into low and high words.")
	p("// Rounds 0 and 1 are partly scalar: only x0 differs between lanes.")
	p("// Plan layout: roundKeys at 0, keepAt at 80, calls at 208.")
	p("")
	p("#include \"textflag.h\"")
	p("")
	data()
	maskGroups()
	forward(false)
	forward(true)
	apply(false)
	apply(true)
	affine(false)
	affine(true)
	for _, bf := range []bool{true, false} {
		forward16(bf)
		apply16(bf)
		affine16(bf)
	}
	b := bytes.TrimRight(buf.Bytes(), "\n")
	b = append(b, '\n')
	if *out == "" {
		os.Stdout.Write(b)
		return
	}
	if err := os.WriteFile(*out, b, 0o644); err != nil {
		log.Fatal(err)
	}
}

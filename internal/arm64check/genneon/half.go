package main

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
	blockGroups()
	consts16(bf)
	ins("VDUP R21, V29.S4")
	p("group:")
	ins("MOVWU.P 4(%s), %s", rT1, rT3)
	scale16(bf, false, rT3)
	blockGroupsEnd()
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

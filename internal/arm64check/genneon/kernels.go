package main

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

// blockGroups starts a fused kernel's scale loop over the min(n, 16)
// groups of the block Philox just finished: rT1 points at their words (the
// block stored them at R0 and advanced it by 64 bytes), rT2 counts them.
func blockGroups() {
	ins("SUB $64, R0, %s", rT1)
	ins("MOVD $16, %s", rT2)
	ins("CMP %s, R1", rT2)
	ins("CSEL LT, R1, %s, %s", rT2, rT2)
}

// blockGroupsEnd closes the scale loop blockGroups started, and the block
// loop: the next block while groups are left, else return.
func blockGroupsEnd() {
	ins("SUBS $1, %s", rT2)
	ins("BNE group")
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
	blockGroups()
	loadBits(f64)
	ins("VDUP R21, V17.%s", arr)
	p("group:")
	ins("MOVWU.P 4(%s), %s", rT1, rT3)
	ins("VDUP %s, V16.%s", rT3, arr)
	scale32(f64, false)
	blockGroupsEnd()
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

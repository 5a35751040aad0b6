package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

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

// bf16Permuted emits the 32 bfloat16 results of the elements at src (AVX-512)
// with the dropped ones, per the mask dword at mask, +0: the word permute of
// halfUnit with its table loaded into the destination, so that no register
// holds it meanwhile.
func bf16Permuted(src, mask Mem, mul Op, add Register) Register {
	fe, fo := halfPair(src, mul, add)
	k := K()
	KMOVD(mask, k)
	r := ZMM()
	VMOVDQU16(highWords, r)
	VPERMI2W_Z(fo, fe, k, r)
	return r
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
	if e.wide && e.half == bf16 && vd == nil && !e.incs {
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
	if e.incs {
		incsVectors(s, d, m, unitBits/vecWords, mul)
		return
	}
	for v := 0; v < unitBits/vecWords; v++ {
		off := 2 * vecWords * v
		switch {
		case e.wide && e.half == bf16:
			var r Register
			switch {
			case vd == nil && high != nil:
				// One word permute takes the results (high words) of
				// both halves and zeroes the dropped ones: cheaper than
				// shift, merge and masked move.
				fe, fo := halfPair(s.Offset(off), mul, add)
				k := K()
				KMOVD(m.Offset(4*v), k)
				VPERMT2W_Z(fo, high, k, fe)
				r = fe
			case vd == nil:
				r = bf16Permuted(s.Offset(off), m.Offset(4*v), mul, add)
			default:
				r = halfChunk(e, s.Offset(off), mul, add)
				k := K()
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
		dst, src, mp, n := wordKernelHeader(name, "func(dst, src *uint16, mask *uint64, n int, a, b float32, d uint16)",
			fmt.Sprintf("%s sets dst[i] = bit i%%64 of mask[i/64] ? round16(float32(float32(src[i])*a)+b) : d", name),
			fmt.Sprintf("for the 64*n %s elements, n > 0 (two float32 roundings, never fused).", e.half))
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
		sig, doc := "func(dst, src *uint16, mask *uint64, n int, scale float32)", ""
		if e.incs {
			sig = "func(dst, src *uint16, mask *uint64, n int, scale float32, incs *uint8)"
			doc = " incs is the increment table of scale, 1 <= scale <= 2 (incs.go)."
		}
		dst, src, mp, n := wordKernelHeader(name, sig,
			fmt.Sprintf("%s sets dst[i] = bit i%%64 of mask[i/64] ? round16(float32(src[i])*scale) : +0", name),
			fmt.Sprintf("for the 64*n %s elements, n > 0.%s", e.half, doc))
		if e.incs {
			loadIncs()
		}
		halfLoop(e, 64, "scale", src, dst, mp, n, broadcastScale(e), nil, nil)
	}
	VZEROUPPER()
	RET()
	endKernel()
}

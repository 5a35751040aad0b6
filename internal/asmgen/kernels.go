package main

import (
	"fmt"
	"strings"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

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
		if fwd.incs {
			sig = strings.TrimSuffix(sig, ")") + ", incs *uint8)"
		}
		if fwd.half != notHalf {
			doc = fmt.Sprintf("%s is the fused forward over n > 0 groups of %s bit patterns: it\n"+
				"writes out like the mask kernel and dst[i] = kept ? round16(float32(src[i])*scale) : +0\n"+
				"for the 32*n elements.", name, fwd.half)
		}
	}
	if fwd != nil && wide {
		doc += "\nWith a plan shift it realigns the mask (kernels.realign): out[-1] must hold\n" +
			"the word of group first-1, and out[i-1] receives the word of elements 32i..32i+31."
	}
	if fwd != nil && fwd.incs {
		doc += "\nincs is the increment table of scale, 1 <= scale <= 2 (incs.go)."
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
	if fwd != nil && fwd.incs {
		loadIncs()
	}
	uniformTable(&a)

	// scaleGroups scales cnt groups with mask words from mp (nil: a.out).
	scaleGroups := func(cnt, mp Register, sfx string) {
		if fwd == nil {
			return
		}
		if mp == nil {
			mp = GP64()
			if wide {
				unitWords(a, mp)
			} else {
				MOVQ(a.out, mp)
			}
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
		block512(2, "2", a, il, fwd != nil)
		if fwd != nil {
			finish("2")
			MOVQ(U32(32), left)
			CMPQ(a.n, left)
			CMOVQLT(a.n, left)
			unitWords(a, smp)
		}
		ADDL(U8(32), a.lo)
		ADDQ(U32(128), a.out)
		SUBQ(U8(32), a.n)
		JMP(LabelRef("loop"))

		Label("tail")
		finish("T")
		TESTQ(a.n, a.n)
		JLE(LabelRef("done"))
		block512(1, "1", a, nil, fwd != nil)
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
	endKernel()
}

// wordKernelHeader emits the header and documentation of a kernel over n
// mask words (64 elements each) and loads its dst, src, mask and n.
func wordKernelHeader(name, signature string, doc ...string) (dst, src, mp, n Register) {
	TEXT(name, NOSPLIT, signature)
	Pragma("noescape")
	if ntStores {
		doc = append(doc, "Its stores are non-temporal and not fenced: dst must be 64-byte aligned.")
	}
	Doc(doc...)
	dst = Load(Param("dst"), GP64())
	src = Load(Param("src"), GP64())
	mp = Load(Param("mask"), GP64())
	n = Load(Param("n"), GP64())
	return dst, src, mp, n
}

// applyKernel emits apply32/apply64.
func applyKernel(e elemKind, name string) {
	t := "float32"
	if e.double {
		t = "float64"
	}
	dst, src, mp, n := wordKernelHeader(name, fmt.Sprintf("func(dst, src *%s, mask *uint64, n int, scale %s)", t, t),
		fmt.Sprintf("%s sets dst[i] = bit i%%64 of mask[i/64] ? src[i]*scale : +0 for the", name),
		"64*n elements, n > 0.")
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
	dst, src, mp, n := wordKernelHeader(name, fmt.Sprintf("func(dst, src *%s, mask *uint64, n int, a, b, d %s)", t, t),
		fmt.Sprintf("%s sets dst[i] = bit i%%64 of mask[i/64] ? %s(src[i]*a)+b : d for the", name, t),
		"64*n elements, n > 0 (two roundings, never fused).")
	va, vb, vd := broadcastParam(e, "a"), broadcastParam(e, "b"), broadcastParam(e, "d")
	affineLoop(e, src, dst, mp, n, va, vb, vd)
	VZEROUPPER()
	RET()
}

package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// elemKind describes the per-group (or per-mask-word) scaling loop.
type elemKind struct {
	wide   bool // AVX-512
	double bool // float64
	half   halfFmt
	incs   bool // bfloat16, AVX-512: scaled by an increment table (incs.go)
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

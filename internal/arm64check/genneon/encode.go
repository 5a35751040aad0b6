package main

import "fmt"

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

package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
)

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
	mulConst     Mem // qword M0, qword M1, then 4x qword M0, 4x qword M1 (AVX2)
	lanes512     Mem // dwords 0..31
	perm512      Mem // VPERMI2D index merging even/odd qword-lane halves
	evens512     Mem // VPERMD index: dword i = 2i mod 16 (low dwords of qword lanes first)
	lanes256     Mem // dwords 0..7
	bitsDword    Mem // dword i = 1<<i, i = 0..31
	bitsQword    Mem // qword i = 1<<i (low dword only), i = 0..31
	shlDword     Mem // dword i = 31-i, i = 0..31: VPSLLVD moves bit i to the sign bit
	shlQword     Mem // qword i = 63-i, i = 0..31: VPSLLVQ moves bit i of the low dword to bit 63
	bitsWord     Mem // word i = 1<<i, i = 0..15
	highWords    Mem // VPERMT2W index: word 2i = word 2i+1 of table 1, word 2i+1 = word 2i+1 of table 2
	lowBytesMask Mem // qword 0x5555555555555555: the low bytes of the words (k register)
	halfConst    Mem // 8 dwords each of 1, 0x7fff, 0xffff0000, 0x10000 (the bfloat16 rounding)
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

	lowBytesMask = GLOBL("lowbytes", RODATA|NOPTR)
	DATA(0, U64(0x5555555555555555))

	halfConst = GLOBL("halfconst", RODATA|NOPTR)
	for i, v := range []uint32{1, 0x7fff, 0xffff0000, 0x10000} {
		for j := 0; j < 8; j++ {
			DATA(32*i+4*j, U32(v))
		}
	}
}

package main

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strconv"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The "Incs" variants of the AVX-512 bfloat16 forward and apply kernels scale
// by an increment table instead of widening, multiplying and rounding. For a
// scale 1 <= S <= 2, a kept element x whose exponent field is 8 to 247
// becomes y = x + incs[x&0x7f] as a 16-bit integer: both roundings of
// round16(float32(x)*S) are relative to the exponent, so y-x depends only on
// the 7 mantissa bits (the package builds the 128-byte table per scale and
// tests the claim on every pattern). One VPERMT2B looks the 32 increments
// up, and a vector costs about six vector micro-ops instead of twelve.
//
// Zeros, common in activations, stay on this path: the increment becomes
// min(incs, 2x), which is 0 for ±0 and the increment itself for every other
// fast element (2x >= 0x800 > 0xff). Everything else (exponent fields 0 to 7:
// subnormals and the smallest normals; 248 to 255: huge values, Inf and NaN)
// is found by one VFPCLASSPH, since those words, read as float16, are
// exactly the denormals, infinities and NaNs; a vector holding one takes a
// cold path that converts it as the other kernels do.
//
// Neither avo nor the Go assembler knows AVX512-FP16: the generator emits
// VFPCLASSPSZ as a stand-in, so that avo allocates its registers, and
// rewriteFP16 replaces it by the bytes of VFPCLASSPH, which differs in one
// EVEX prefix field. The package uses these kernels only where cpuid reports
// AVX512-FP16 and AVX512-VBMI.

// The current kernel's increment table and lowBytesMask stay in registers
// for the whole kernel (loadIncs). Steps that reloaded the mask and took the
// table as VPERMT2B's memory operand made bfloat16 Apply 12% and Forward
// 3% slower.
var (
	incsLo, incsHi Register // table bytes 0-63 and 64-127
	incsLowBytes   Register // k register
)

// loadIncs loads the 128-byte table at parameter incs and lowBytesMask.
func loadIncs() {
	p := Load(Param("incs"), GP64())
	incsLo, incsHi = ZMM(), ZMM()
	VMOVDQU64(Mem{Base: p}, incsLo)
	VMOVDQU64(Mem{Base: p}.Offset(64), incsHi)
	incsLowBytes = K()
	KMOVQ(lowBytesMask, incsLowBytes)
}

// coldPaths are emitted after the current kernel's RET (endKernel).
var coldPaths []func()

// endKernel follows the RET of a kernel that may have used loadIncs: it emits
// the cold paths and forgets the table registers.
func endKernel() {
	for _, f := range coldPaths {
		f()
	}
	coldPaths = nil
	incsLo, incsHi, incsLowBytes = nil, nil, nil
}

// fp16Marker is the comment that precedes each VFPCLASSPH stand-in.
const fp16Marker = "VFPCLASSPH, rewritten by rewriteFP16"

// fpClassDenormInfNaN selects QNaN, +Inf, -Inf, denormal and SNaN.
const fpClassDenormInfNaN = 0x01 | 0x08 | 0x10 | 0x20 | 0x80

// incsVectors emits count (1 or 2) vectors of 32 bfloat16 results at d from
// s with mask dwords from m, by the table, or by bf16Permuted on the cold
// path if any of them holds a special element.
func incsVectors(s, d, m Mem, count int, mul Op) {
	xs := make([]Register, count)
	var special Register
	for i := range xs {
		xs[i] = ZMM()
		VMOVDQU16(s.Offset(64*i), xs[i])
		k := K()
		Comment(fp16Marker)
		VFPCLASSPSZ(U8(fpClassDenormInfNaN), xs[i], k)
		if i == 0 {
			special = k
		} else {
			KORTESTD(special, k)
		}
	}
	if count == 1 {
		KORTESTD(special, special)
	}
	cold := fmt.Sprintf("cold%d", stepLabels)
	back := fmt.Sprintf("back%d", stepLabels)
	stepLabels++
	JNZ(LabelRef(cold))

	for i, x := range xs {
		twice, r := ZMM(), ZMM()
		VPADDW(x, x, twice)
		VMOVDQA64(incsLo, r)
		VPERMT2B_Z(incsHi, x, incsLowBytes, r) // incs[x&0x7f] in the low bytes
		VPMINUW(twice, r, r)                   // 0 for ±0
		k := K()
		KMOVD(m.Offset(4*i), k)
		VPADDW_Z(x, r, k, r)
		storeVec(true, r, d.Offset(64*i))
	}
	Label(back)

	coldPaths = append(coldPaths, func() {
		Label(cold)
		for i := 0; i < count; i++ {
			storeVec(true, bf16Permuted(s.Offset(64*i), m.Offset(4*i), mul, nil), d.Offset(64*i))
		}
		JMP(LabelRef(back))
	})
}

// vfpclassphZ returns the EVEX encoding of VFPCLASSPH $imm, Z<zmm>, K<k>.
func vfpclassphZ(imm, zmm, k int) []byte {
	inv := func(b int) int { return 1 - b&1 }
	p0 := 1<<7 | inv(zmm>>4)<<6 | inv(zmm>>3)<<5 | 1<<4 | 0b011 // R X B R' (k needs no extension), map 0F3A
	p1 := 0b0_1111_1_00                                         // W0, no vvvv, pp = none (VFPCLASSPS: 66)
	p2 := 0b0_10_0_1_000                                        // 512 bits, no masking
	modrm := 0xC0 | k<<3 | zmm&7
	return []byte{0x62, byte(p0), byte(p1), byte(p2), 0x66, byte(modrm), byte(imm)}
}

var fp16StandIn = regexp.MustCompile(`(?m)^([ \t]*)// ` + regexp.QuoteMeta(fp16Marker) + `\n\s*VFPCLASSPSZ \$(0x[0-9a-f]+), Z(\d+), K(\d+)$`)

// rewriteFP16 replaces the VFPCLASSPH stand-ins of the generated file.
func rewriteFP16(path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	out := fp16StandIn.ReplaceAllFunc(b, func(m []byte) []byte {
		g := fp16StandIn.FindSubmatch(m)
		imm, _ := strconv.ParseInt(string(g[2]), 0, 32)
		zmm, _ := strconv.Atoi(string(g[3]))
		k, _ := strconv.Atoi(string(g[4]))
		line := fmt.Sprintf("%s// VFPCLASSPH $%s, Z%d, K%d\n%s", g[1], g[2], zmm, k, g[1])
		for i, c := range vfpclassphZ(int(imm), zmm, k) {
			if i > 0 {
				line += "; "
			}
			line += fmt.Sprintf("BYTE $0x%02x", c)
		}
		return []byte(line)
	})
	if n := bytes.Count(out, []byte(fp16Marker)); n != 0 {
		panic(fmt.Sprintf("rewriteFP16: %d stand-ins not rewritten", n))
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		panic(err)
	}
}

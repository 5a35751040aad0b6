// Command asmgen generates the amd64 kernels of package dropout
// (kernel_amd64.s and kernel_stubs_amd64.go) with avo.
//
// Run it through `go generate` in the repository root; see kernel_amd64.go.
//
// The kernels implement mask v1 (see the package documentation and
// kernel_generic.go, the reference they must match bit for bit):
//
//   - Philox4x32-10 runs structure-of-arrays over consecutive 32-element
//     groups. Each group's 32-bit counter word sits in the low dword of a
//     qword lane, so VPMULUDQ yields the full 64-bit product: its low dword is
//     "lo" as is (high dwords are garbage nobody reads), and "hi" is one
//     instruction away: VPSRLQ on AVX2; on AVX-512 VPSHUFD copying the high
//     dwords down, a shuffle instead of a shift (mask generation measured
//     about 5% faster on the AVX-512 Xeon). AVX-512 computes 16 groups per
//     block (two zmm halves of 8 qword lanes: even and odd groups) and runs
//     two blocks at once in the main loop, i.e. four independent Philox
//     chains; AVX2 computes 8 groups (two ymm halves).
//   - After the ten rounds the halves are merged into one vector whose dword
//     lane j is group j's random word (VPERMI2D, or VPSLLQ+VPBLENDD), and the
//     most-significant-bit-first comparison with T updates kept/undecided.
//     A block stops as soon as no lane is undecided; on AVX-512 a 32-group
//     block runs two calls, then only its still undecided groups (about 12%
//     at keep 0.9) go on, gathered into one chain (leftover512).
//   - The fused forward stores the group words and scales the corresponding
//     elements: AVX-512 loads mask bits into k registers (KMOVW/KMOVB) and
//     uses zeroing-masked multiplies; AVX2 expands bits to lanes (VPAND +
//     VPCMPEQ) and ANDs the product. AVX2 scales each block after its mask;
//     AVX-512 scales a 32-group block one group at a time in steps spread
//     over the Philox rounds of the next block (interleave), so that memory
//     traffic and conversion overlap Philox (float32 and float64 Forward
//     11-18% faster; the 16-bit ones, whose conversion competes with Philox
//     for the same vector ports, unchanged).
//   - The Incs variants of the AVX-512 bfloat16 forward and apply (incs.go)
//     scale by a table of increments instead of widening, multiplying and
//     rounding, for scales in [1, 2]; the package uses them where the CPU
//     has AVX512-FP16 and AVX512-VBMI.
//
// Memory layout of philoxPlan read here: roundKeys [20]uint32 at 0, keepAt
// [32]uint32 at 80, calls uint64 at 208.
package main

import (
	"flag"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

const (
	philoxM0 = 0xD2511F53
	philoxM1 = 0xCD9E8D57

	offKeepAt  = 80
	offCalls   = 208
	offShift   = 216
	offShiftUp = 220

	// maxCalls bounds the plan's calls: keepAt holds 4 words per call.
	maxCalls = (offCalls - offKeepAt) / 16
)

// Software prefetch (measured on the 2-core AVX-512 Xeon, float32, 16Mi
// elements, ratios to copy in one run): prefetching dst as well as src lifts
// Apply from 1.0x to 1.1x copy; in the fused forward, prefetches bunched in
// the scale loop leave the memory idle during Philox (0.64x copy), while the
// same prefetches spread over the Philox rounds keep it busy (0.78-0.83x).
// The scale steps interleaved with Philox (interleave) now carry them.

// prefetchAhead is the software prefetch distance of the streaming loops.
const prefetchAhead = 4096

// ntStores is set while the non-temporal variants are generated: their
// vector stores are VMOVNTPS, VMOVNTPD or VMOVNTDQ (storeFloats, storeVec;
// dst must be 64-byte aligned), and they do not prefetch dst (prefetching
// lines that are then written around the cache costs more than it saves).
// They do not end with SFENCE: the package fences once per call and
// goroutine (storeFence), not once per kernel call, which cost 6 to 11% on
// the variants that make a kernel call per chunk of 4096 elements.
var ntStores bool

// kernelSet emits one instruction set's kernels, named <kernel>AVX512 or
// <kernel>AVX2; while ntStores is set, the non-temporal variants of its data
// kernels (<kernel>NTAVX512, ...), which share the ordinary mask kernel.
func kernelSet(wide bool) {
	isa := "AVX2"
	if wide {
		isa = "AVX512"
	}
	if ntStores {
		isa = "NT" + isa
	} else {
		groupKernel(wide, nil, "maskGroups"+isa)
	}
	groupKernel(wide, &elemKind{wide: wide}, "forward32"+isa)
	groupKernel(wide, &elemKind{wide: wide, double: true}, "forward64"+isa)
	applyKernel(elemKind{wide: wide}, "apply32"+isa)
	applyKernel(elemKind{wide: wide, double: true}, "apply64"+isa)
	affineKernel(elemKind{wide: wide}, "affine32"+isa)
	affineKernel(elemKind{wide: wide, double: true}, "affine64"+isa)
	for _, h := range []halfFmt{bf16, f16} {
		e := elemKind{wide: wide, half: h}
		groupKernel(wide, &e, "forward"+h.String()+isa)
		halfApplyKernel(e, false, "apply"+h.String()+isa)
		halfApplyKernel(e, true, "affine"+h.String()+isa)
	}
	if wide {
		e := elemKind{wide: wide, half: bf16, incs: true}
		groupKernel(wide, &e, "forwardBF16Incs"+isa)
		halfApplyKernel(e, false, "applyBF16Incs"+isa)
	}
}

// storeFence emits the fence that orders a call's non-temporal stores
// before whatever the goroutine does next (such as telling another one that
// the data is ready).
func storeFence() {
	TEXT("storeFence", NOSPLIT, "func()")
	Doc("storeFence orders the non-temporal stores before it (SFENCE).")
	SFENCE()
	RET()
}

// onesCount emits the POPCNT loop that counts the kept bits of the mask
// words the driver packs: the pure-Go loop's bits.OnesCount64 tests for
// POPCNT at every word (GOAMD64=v1), and four sums hide POPCNT's latency.
func onesCount() {
	TEXT("onesCountPOPCNT", NOSPLIT, "func(p *uint64, n int) int")
	Pragma("noescape")
	Doc("onesCountPOPCNT returns the set bits of the n words at p (POPCNT).")
	p := Load(Param("p"), GP64())
	n := Load(Param("n"), GP64())
	// A destination per sum, all live at once so that avo keeps them apart:
	// older cores make POPCNT wait for its destination register.
	var sum, t [4]Register
	for i := range sum {
		sum[i], t[i] = GP64(), GP64()
		XORL(sum[i].(GPVirtual).As32(), sum[i].(GPVirtual).As32())
	}
	Label("count4")
	CMPQ(n, U8(4))
	JL(LabelRef("count1"))
	for i := range sum {
		POPCNTQ(Mem{Base: p}.Offset(8*i), t[i])
	}
	for i := range sum {
		ADDQ(t[i], sum[i])
	}
	ADDQ(U8(32), p)
	SUBQ(U8(4), n)
	JMP(LabelRef("count4"))
	Label("count1")
	TESTQ(n, n)
	JZ(LabelRef("summed"))
	POPCNTQ(Mem{Base: p}, t[0])
	ADDQ(t[0], sum[0])
	ADDQ(U8(8), p)
	DECQ(n)
	JMP(LabelRef("count1"))
	Label("summed")
	ADDQ(sum[1], sum[0])
	ADDQ(sum[3], sum[2])
	ADDQ(sum[2], sum[0])
	Store(sum[0], ReturnIndex(0))
	RET()
}

func main() {
	ConstraintExpr("amd64,!purego,!noasm")
	constants()

	// The ordinary kernels, then their non-temporal variants for calls much
	// larger than the caches (the package's kernelsFor chooses them; with
	// dst not 64-byte aligned its wrappers fall back to the ordinary ones).
	for _, nt := range []bool{false, true} {
		ntStores = nt
		for _, wide := range []bool{true, false} {
			kernelSet(wide)
		}
	}
	ntStores = false
	storeFence()
	onesCount()
	Generate()
	rewriteFP16(flag.Lookup("out").Value.String())
}

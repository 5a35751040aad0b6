package dropout

import "sync/atomic"

// bf16Incs is the increment table of one scale for the AVX-512 bfloat16
// kernels that scale by table look-up (internal/asmgen/incs.go): for
// 1 <= scale <= 2 and a bfloat16 x whose exponent field is 8 to 247,
// BFloat16FromFloat32(x.Float32()*scale) = x + incs[x&0x7f] as integers.
// Both roundings are relative to the exponent, so the increment depends
// only on the 7 mantissa bits (TestBF16IncsExact checks every pattern).
type bf16Incs struct {
	scale float32
	incs  [128]uint8
}

// lastBF16Incs caches the table of the last scale: training runs one keep
// probability for many calls.
var lastBF16Incs atomic.Pointer[bf16Incs]

// incsMinElems is the smallest call that builds a table for a scale not
// cached (see avx512Set). Building one takes about 200 ns, what the table
// saves on about 6000 elements; the smaller calls of changing scales
// (ForwardExact's rows, each with its own) take the plain kernels instead.
const incsMinElems = 16384

// bf16IncsFor returns the increment table of scale, or nil (use the plain
// kernels) unless 1 <= scale <= 2. A table not cached is built only if build
// is set.
func bf16IncsFor(scale float32, build bool) *[128]uint8 {
	if !(scale >= 1 && scale <= 2) {
		return nil
	}
	if t := lastBF16Incs.Load(); t != nil && t.scale == scale {
		return &t.incs
	}
	if !build {
		return nil
	}
	t := &bf16Incs{scale: scale}
	for m := range t.incs {
		x := BFloat16(127<<7 | m) // exponent field 127: 1 + m/128
		t.incs[m] = uint8(BFloat16FromFloat32(x.Float32()*scale) - x)
	}
	lastBF16Incs.Store(t)
	return &t.incs
}

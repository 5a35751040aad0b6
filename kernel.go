package dropout

import (
	"os"
	"strings"

	"github.com/gokernels/dropout/internal/implhook"
)

// groupPad is how far past len(out) a group kernel may write: the SIMD
// kernels compute whole vectors of groups (16 per zmm) and store them all.
// Callers pass out with at least roundUp(len(out), groupPad) capacity.
const groupPad = 16

// padded checks that out has room for the whole blocks of groupPad words the
// SIMD group kernels store (it panics otherwise: a bug in the package, not
// bad input).
func padded(out []uint32) {
	_ = out[:(len(out)+groupPad-1)&^(groupPad-1)]
}

// kernels is one implementation of the package's inner loops. The driver
// (driver.go) splits every call into these primitives, so a SIMD path is
// added by providing another kernels value in an architecture file.
//
// Group kernels work on whole 32-element groups first, first+1, ...: out[j]
// receives bit b set iff stream element 32*(first+j)+b is kept (mask v1).
// All groups of one call share the upper counter word, uint32(first>>32):
// the driver never lets a call cross a multiple of 2^32 groups.
type kernels struct {
	name string

	// maskGroups writes the mask v1 words of len(out) groups.
	maskGroups func(out []uint32, first uint64, plan *philoxPlan)

	// forward32 and forward64 are the fused forward over len(out) groups:
	// they write out like maskGroups and dst[i] = kept ? src[i]*scale : +0
	// for the 32*len(out) elements of src. dst may alias src exactly.
	forward32 func(dst, src []float32, out []uint32, first uint64, plan *philoxPlan, scale float32)
	forward64 func(dst, src []float64, out []uint32, first uint64, plan *philoxPlan, scale float64)

	// realign says that the fused forwards (all four types) also serve
	// calls whose elements start plan.shift bits into a group: with shift
	// not 0 they take out[-1] as the word of group first-1, scale unit i
	// (elements 32i..32i+31 of dst and src) with bits shift..31 of group
	// word i-1 and 0..shift-1 of group word i, and leave that unit word at
	// out[i-1] for i < len(out) (what they write from out[len(out)-1] on is
	// unspecified). The other sets ignore shift.
	realign bool

	// apply32 and apply64 compute dst[i] = bit i of mask ? src[i]*scale : +0
	// for the 64*len(mask) elements of src. dst may alias src exactly.
	apply32 func(dst, src []float32, mask []uint64, scale float32)
	apply64 func(dst, src []float64, mask []uint64, scale float64)

	// affine32 and affine64 compute dst[i] = bit i of mask ? T(src[i]*a)+b : d
	// (two roundings, never fused) for the 64*len(mask) elements of src:
	// alpha dropout's forward. dst may alias src exactly.
	affine32 func(dst, src []float32, mask []uint64, a, b, d float32)
	affine64 func(dst, src []float64, mask []uint64, a, b, d float64)

	// The 16-bit kernels compute in float32: a kept element becomes
	// round16(float32(x) * scale), one float32 rounding then the rounding
	// to 16 bits (BFloat16FromFloat32, Float16FromFloat32); the affine ones
	// round16(float32(float32(x)*a) + b), else d.
	forwardBF16 func(dst, src []BFloat16, out []uint32, first uint64, plan *philoxPlan, scale float32)
	forwardF16  func(dst, src []Float16, out []uint32, first uint64, plan *philoxPlan, scale float32)
	applyBF16   func(dst, src []BFloat16, mask []uint64, scale float32)
	applyF16    func(dst, src []Float16, mask []uint64, scale float32)
	affineBF16  func(dst, src []BFloat16, mask []uint64, a, b float32, d BFloat16)
	affineF16   func(dst, src []Float16, mask []uint64, a, b float32, d Float16)

	// stream, optional, is this set with non-temporal stores in its
	// forward, apply and affine kernels, which skip reading dst into the
	// caches before writing it (its other kernels are this set's own). The
	// public functions use it for calls much larger than the caches
	// (streamMinBytes) that are not in place (kernelsFor).
	stream *kernels

	// fence, set in sets with non-temporal stores, orders the stores of the
	// kernel calls before it ahead of later ones (SFENCE). Those kernels do
	// not fence themselves, so that a call made of many kernel calls fences
	// once per goroutine (finish) rather than once per kernel call.
	fence func()
}

// finish ends the work of one goroutine in a call that used k: a call's
// non-temporal stores must be ordered before the goroutine returns to the
// caller or reports its piece done. (Should the goroutine move to another
// thread in between, the fence runs on another core; the move itself, an
// interrupt and the scheduler's locked instructions on the old core, drains
// the old core's write-combining buffers, as Intel's manual specifies.)
func (k *kernels) finish() {
	if k.fence != nil {
		k.fence()
	}
}

// streamMinBytes is the call size from which kernelsFor picks the
// non-temporal kernels: 16 MiB of output, beyond what the caches keep for a
// consumer that reads it back. A variable so tests can lower it.
var streamMinBytes = 16 << 20

// implementations lists every kernel set this CPU and build can run, the
// pure-Go reference first and the preferred one last.
var implementations = append([]*kernels{&genericKernels}, archKernels()...)

// active is the kernel set the public functions use.
var active = choose(implementations, os.Getenv("DROPOUT_IMPL"))

// choose returns the best implementation, capped by the one named in limit
// (the value of DROPOUT_IMPL): a name the CPU cannot run, or an unknown one,
// falls back to the best available implementation ranked below it.
func choose(impls []*kernels, limit string) *kernels {
	limit = strings.ToLower(strings.TrimSpace(limit))
	if limit == "" {
		return impls[len(impls)-1]
	}
	capRank := implRank(limit)
	best := impls[0]
	for _, k := range impls {
		if implRank(k.name) <= capRank {
			best = k
		}
	}
	return best
}

// implRank orders implementation names from plain to widest. Unknown names
// rank lowest, so a typo selects the pure-Go kernels rather than the fastest.
func implRank(name string) int {
	switch name {
	case "generic":
		return 0
	case "neon", "avx2":
		return 1
	case "avx512":
		return 2
	}
	return 0
}

// Impl reports the kernels in use: "generic", "avx2", "avx512" or "neon".
func Impl() string { return active.name }

// Implementations lists the kernel sets this CPU and build can run, from the
// pure-Go reference to the one Impl would choose without DROPOUT_IMPL.
func Implementations() []string {
	names := make([]string, len(implementations))
	for i, k := range implementations {
		names[i] = k.name
	}
	return names
}

func init() {
	implhook.Use = func(name string) (func(), bool) {
		for _, k := range implementations {
			if k.name == name {
				saved := active
				active = k
				return func() { active = saved }, true
			}
		}
		return nil, false
	}
}

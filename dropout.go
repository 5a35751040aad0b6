// Package dropout implements inverted dropout for large activation tensors at
// the speed of memory.
//
// Dropout zeroes each activation with probability 1-Keep and multiplies the
// survivors by 1/Keep, so that the expected value of every output equals its
// input. This package makes that operation exact, compact and fast:
//
//   - exact: masks follow "mask v1", a bit-for-bit definition built on the
//     counter-based generator Philox4x32-10, so every code path, platform,
//     thread count and shard produces the same mask, and the scale is
//     2^32/T for the keep probability T/2^32 that is actually used;
//   - compact: masks are bit-packed, one bit per element;
//   - fast: one fused pass generates the mask, multiplies and scales, in
//     assembly for AVX-512, AVX2 and NEON where available, chosen at run time.
//
// # Mask v1
//
// Element i of a call is stream element g = Offset+i. Groups of 32 stream
// elements share Philox calls: for group h = g/32 and depth d = 0..31, the
// random word R(h, d) is word d%4 of Philox4x32-10 with key
// (uint32(Seed), uint32(Seed>>32)) and counter (uint32(h), uint32(h>>32),
// uint32(d/4), 0). Element g's 32-bit random number r(g) has bit 31-d equal
// to bit g%32 of R(h, d). With T = round(Keep*2^32), element g is kept iff
// r(g) < T. Element i of a call is bit i%64 of mask[i/64]; bits past n in the
// last word are zero.
//
// Kept elements become x*S, where S is Scale(Keep) converted to the element
// type, with one rounding; dropped elements become +0. For BFloat16 and
// Float16, T(s) in this documentation means float32(s) and x*S means
// round16(float32(x)*S): the exact widening, one float32 multiply, then one
// rounding to the 16-bit format.
//
// Outputs may be their inputs (dst = src, in place); any other overlap
// between them is an error wrapping ErrInvalid, as is every bad argument,
// and a call that returns an error has written nothing.
package dropout

import (
	"errors"
	"fmt"
	"math"
)

// Float is the element types the kernels accept.
type Float interface {
	float32 | float64 | BFloat16 | Float16
}

// Config selects the mask of a call.
type Config struct {
	Keep   float64 // probability of keeping an element, 0 <= Keep <= 1 (dropout rate = 1 - Keep)
	Seed   uint64  // selects the random stream
	Offset uint64  // stream index of the call's first element

	// Workers lets a call split its work across up to Workers goroutines,
	// and no more than GOMAXPROCS (0 or 1: the calling goroutine only).
	// Small calls stay on one. Results are bit-identical for every value.
	// Helper goroutines poll for the next call for 50 microseconds after
	// each one, then exit. When concurrent callers already outnumber the
	// CPUs, Workers above 1 gains nothing (cmd/dropoutstress measures it).
	Workers int
}

// ErrInvalid is wrapped by every error about an argument.
var ErrInvalid = errors.New("dropout: invalid argument")

// Words returns the number of uint64 words in a mask of n elements.
func Words(n int) int {
	if n <= 0 {
		return 0
	}
	return (n-1)/64 + 1
}

// EffectiveKeep returns T/2^32, the keep probability the mask really uses
// for keep (the requested one rounded to a multiple of 2^-32). It returns NaN
// for keep outside [0, 1].
func EffectiveKeep(keep float64) float64 {
	if !validKeep(keep) {
		return math.NaN()
	}
	return float64(threshold(keep)) / (1 << 32)
}

// Scale returns 2^32/T, the factor kept elements are multiplied by: the
// reciprocal of EffectiveKeep, so each output's expectation equals its input
// exactly. It is 0 when T == 0 (everything is dropped) and NaN for keep
// outside [0, 1].
func Scale(keep float64) float64 {
	if !validKeep(keep) {
		return math.NaN()
	}
	t := threshold(keep)
	if t == 0 {
		return 0
	}
	return (1 << 32) / float64(t)
}

func validKeep(keep float64) bool { return keep >= 0 && keep <= 1 }

// GenerateMask writes the mask v1 bits of n elements to mask[:Words(n)] and
// returns how many are kept.
func GenerateMask(mask []uint64, n int, cfg Config) (kept int, err error) {
	if err := checkConfig(n, cfg, "", ""); err != nil {
		return 0, err
	}
	if mask == nil && n > 0 {
		return 0, fmt.Errorf("%w: mask is nil, need %d words for n=%d", ErrInvalid, Words(n), n)
	}
	if err := checkMask(mask, n); err != nil {
		return 0, err
	}
	return forwardCall[float32](active, nil, nil, mask[:Words(n)], n, cfg, 0, true), nil
}

// Forward is the fused dropout forward pass: it generates the mask of
// len(src) elements for cfg, writes dst[i] = kept ? src[i]*S : +0 with
// S = T(Scale(cfg.Keep)), stores the mask in mask[:Words(len(src))] unless
// mask is nil, and returns the number of kept elements. dst may be src.
func Forward[T Float](dst, src []T, mask []uint64, cfg Config) (kept int, err error) {
	if err := checkElementwise(dst, src, mask, cfg, "dst", "src"); err != nil {
		return 0, err
	}
	if mask != nil {
		mask = mask[:Words(len(src))]
	}
	k := kernelsFor(active, dst, src)
	defer k.finish()
	return forwardCall(k, dst, src, mask, len(src), cfg, Scale(cfg.Keep), true), nil
}

// Apply computes dst[i] = bit i of mask ? src[i]*T(scale) : +0, the
// mask-multiply-scale kernel for a stored mask. dst may be src.
func Apply[T Float](dst, src []T, mask []uint64, scale float64) error {
	if err := checkPair("dst", "src", dst, src); err != nil {
		return err
	}
	if math.IsNaN(scale) || math.IsInf(scale, 0) {
		return fmt.Errorf("%w: scale=%v is not finite", ErrInvalid, scale)
	}
	if _, wide := any(src).([]float64); !wide && math.IsInf(float64(float32(scale)), 0) {
		var zero T
		return fmt.Errorf("%w: scale=%v overflows float32, the multiplier for %T", ErrInvalid, scale, zero)
	}
	if mask == nil && len(src) > 0 {
		return fmt.Errorf("%w: mask is nil, need %d words for %d elements", ErrInvalid, Words(len(src)), len(src))
	}
	if err := checkMask(mask, len(src)); err != nil {
		return err
	}
	k := kernelsFor(active, dst, src)
	apply(k, dst, src, mask, scale)
	k.finish()
	return nil
}

// Backward is the gradient of Forward: dx[i] = kept ? dy[i]*S : +0. With a
// mask it applies the stored mask (Apply with Scale(cfg.Keep)); with a nil
// mask it regenerates the mask from cfg, so training needs no mask memory.
// At Keep 0 and 1 the mask is implied by cfg and a stored one is not read:
// dx is all +0, or dy bit for bit, as with a nil mask. dx may be dy.
func Backward[T Float](dx, dy []T, mask []uint64, cfg Config) error {
	if err := checkElementwise(dx, dy, mask, cfg, "dx", "dy"); err != nil {
		return err
	}
	k := kernelsFor(active, dx, dy)
	if mask == nil || impliedMask(cfg.Keep) {
		forwardCall(k, dx, dy, nil, len(dy), cfg, Scale(cfg.Keep), false)
	} else {
		applyCall(k, cfg.Workers, dx, dy, mask, Scale(cfg.Keep))
	}
	k.finish()
	return nil
}

// checkElementwise validates an element-wise call: matching lengths, the
// configuration, and a mask (optional) long enough.
func checkElementwise[T Float](dst, src []T, mask []uint64, cfg Config, dstName, srcName string) error {
	if err := checkPair(dstName, srcName, dst, src); err != nil {
		return err
	}
	if err := checkConfig(len(src), cfg, srcName, ""); err != nil {
		return err
	}
	if mask != nil {
		return checkMask(mask, len(src))
	}
	return nil
}

// checkPair checks that dst and src have the same length and are either the
// same slice or disjoint.
func checkPair[T Float](dstName, srcName string, dst, src []T) error {
	if len(dst) != len(src) {
		return fmt.Errorf("%w: len(%s)=%d != len(%s)=%d", ErrInvalid, dstName, len(dst), srcName, len(src))
	}
	if shift, ok := overlapShift(dst, src); ok {
		where := fmt.Sprintf("%s begins at %s[%d]", dstName, srcName, shift)
		if shift < 0 {
			where = fmt.Sprintf("%s begins at %s[%d]", srcName, dstName, -shift)
		}
		return fmt.Errorf("%w: %s and %s overlap without being the same slice (%s)", ErrInvalid, dstName, srcName, where)
	}
	return nil
}

// impliedMask reports whether keep's mask is all zeros or all ones, so that a
// gradient needs no stored mask: the backward passes then give a nil and a
// stored mask the same bits (no multiply by 1, which would quiet a
// signalling NaN).
func impliedMask(keep float64) bool {
	t := threshold(keep)
	return t == 0 || t == 1<<32
}

// checkConfig validates cfg for a call of n elements (or blocks). The error
// names n as the caller has it: the argument n, or len(slice)+suffix (the
// name is built only for an error, so that a good call does not allocate).
func checkConfig(n int, cfg Config, slice, suffix string) error {
	nName := func() string {
		if slice == "" {
			return "n"
		}
		return "len(" + slice + ")" + suffix
	}
	if n < 0 {
		return fmt.Errorf("%w: %s=%d is negative", ErrInvalid, nName(), n)
	}
	if !validKeep(cfg.Keep) {
		return fmt.Errorf("%w: Config.Keep=%v is not in [0, 1]", ErrInvalid, cfg.Keep)
	}
	if uint64(n) > math.MaxUint64-cfg.Offset {
		return fmt.Errorf("%w: Config.Offset=%d + %s=%d runs past 2^64-1", ErrInvalid, cfg.Offset, nName(), n)
	}
	return nil
}

func checkMask(mask []uint64, n int) error {
	if len(mask) < Words(n) {
		return fmt.Errorf("%w: len(mask)=%d < Words(%d)=%d", ErrInvalid, len(mask), n, Words(n))
	}
	return nil
}

package dropout

import "math"

// alphaPrime is -lambda*alpha of SELU: the value a dropped activation takes
// in alpha dropout before the affine correction.
const alphaPrime = -1.7580993408473766

// ForwardAlpha is alpha dropout for self-normalising networks (PyTorch
// alpha_dropout in training mode). With q = EffectiveKeep(cfg.Keep), in
// float64: a = 1/sqrt(q + alpha'^2*q*(1-q)), b = -a*alpha'*(1-q); A = T(a),
// B = T(b), D = T(a*alpha' + b). Kept elements become T(x*A) + B (two
// roundings, never fused), dropped ones D, so mean and variance are kept.
// The mask bits are those of Forward. Keep = 1 returns the input bit for bit,
// Keep = 0 all +0.
func ForwardAlpha[T Float](dst, src []T, mask []uint64, cfg Config) (kept int, err error) {
	if err := checkElementwise(dst, src, mask, cfg, "dst", "src"); err != nil {
		return 0, err
	}
	if mask != nil {
		mask = mask[:Words(len(src))]
	}
	k := kernelsFor(active, dst, src)
	defer k.finish()
	return alpha(k, dst, src, mask, cfg), nil
}

// BackwardAlpha is the gradient of ForwardAlpha: dx = kept ? dy*A : +0, with
// the stored mask or, for a nil mask, the regenerated one. At Keep 0 and 1
// the mask is implied by cfg and a stored one is not read.
func BackwardAlpha[T Float](dx, dy []T, mask []uint64, cfg Config) error {
	if err := checkElementwise(dx, dy, mask, cfg, "dx", "dy"); err != nil {
		return err
	}
	a, _, _ := alphaCoefficients(cfg.Keep)
	k := kernelsFor(active, dx, dy)
	if mask == nil || impliedMask(cfg.Keep) {
		forwardCall(k, dx, dy, nil, len(dy), cfg, a, false)
	} else {
		applyCall(k, cfg.Workers, dx, dy, mask, a)
	}
	k.finish()
	return nil
}

// alphaCoefficients returns a, b and a*alpha'+b in float64 for keep in
// (0, 1], evaluated in the documented order with each step rounded; the
// kernels convert them to A, B and D.
func alphaCoefficients(keep float64) (a, b, d float64) {
	q := EffectiveKeep(keep)
	if q == 0 {
		return 0, 0, 0
	}
	ap := float64(alphaPrime) // a variable: run-time float64 arithmetic
	a64 := 1 / math.Sqrt(q+float64(float64(ap*ap*q)*(1-q)))
	b64 := float64(-a64*ap) * (1 - q)
	d64 := float64(a64*ap) + b64
	return a64, b64, d64
}

func alpha[T Float](k *kernels, dst, src []T, mask []uint64, cfg Config) int {
	n := len(src)
	if n == 0 {
		return 0
	}
	switch threshold(cfg.Keep) {
	case 0, 1 << 32: // all +0, or the input itself: as Forward
		return forwardCall(k, dst, src, mask, n, cfg, 0, true)
	}
	a, b, d64 := alphaCoefficients(cfg.Keep)
	d := fromFloat64[T](d64)
	raceRead(src)
	raceWrite(dst)
	w := workersFor(cfg.Workers, n, 1)
	if mask != nil {
		kept := forwardCall[float32](k, nil, nil, mask, n, cfg, 0, true)
		if w > 1 {
			parallel(k, w, n, 1, 64, func(lo, hi int) int {
				affine(k, dst[lo:hi], src[lo:hi], maskPart(mask, lo, hi), a, b, d)
				return 0
			})
		} else {
			affine(k, dst, src, mask, a, b, d)
		}
		return kept
	}
	if w > 1 {
		return parallel(k, w, n, 1, 64, func(lo, hi int) int {
			return alphaRegenerate(k, dst[lo:hi], src[lo:hi], cfg.at(lo), a, b, d)
		})
	}
	return alphaRegenerate(k, dst, src, cfg, a, b, d)
}

// alphaRegenerate is alpha without a stored mask: mask bits are staged
// chunk by chunk.
func alphaRegenerate[T Float](k *kernels, dst, src []T, cfg Config, a, b float64, d T) int {
	s := getScratch()
	defer putScratch(s)
	kept := 0
	for c := 0; c < len(src); c += 64 * scratchWords {
		e := min(c+64*scratchWords, len(src))
		kept += forward[float32](k, nil, nil, s.words[:Words(e-c)], e-c, cfg.at(c), 0, true)
		affine(k, dst[c:e], src[c:e], s.words[:Words(e-c)], a, b, d)
	}
	return kept
}

// affine runs the affine-select kernel: whole words in the kernel, the last
// partial word here.
func affine[T Float](k *kernels, dst, src []T, mask []uint64, a, b float64, d T) {
	n := len(src)
	full := n / 64
	if full > 0 {
		callAffine(k, dst[:64*full], src[:64*full], mask[:full], a, b, d)
	}
	if n%64 != 0 {
		affineByBits(dst[64*full:], src[64*full:], mask[full], a, b, d)
	}
}

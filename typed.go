package dropout

import "unsafe"

// The driver is generic over the element type; kernels are not. These
// functions pick the kernel of T and convert the float64 scale the driver
// carries to the kernel's multiplier: the element type for float32 and
// float64, float32 for the 16-bit types (which compute in float32).

func callForward[T Float](k *kernels, dst, src []T, out []uint32, first uint64, plan *philoxPlan, scale float64) {
	switch d := any(dst).(type) {
	case []float32:
		k.forward32(d, any(src).([]float32), out, first, plan, float32(scale))
	case []float64:
		k.forward64(d, any(src).([]float64), out, first, plan, scale)
	case []BFloat16:
		k.forwardBF16(d, any(src).([]BFloat16), out, first, plan, float32(scale))
	case []Float16:
		k.forwardF16(d, any(src).([]Float16), out, first, plan, float32(scale))
	}
}

func callApply[T Float](k *kernels, dst, src []T, mask []uint64, scale float64) {
	switch d := any(dst).(type) {
	case []float32:
		k.apply32(d, any(src).([]float32), mask, float32(scale))
	case []float64:
		k.apply64(d, any(src).([]float64), mask, scale)
	case []BFloat16:
		k.applyBF16(d, any(src).([]BFloat16), mask, float32(scale))
	case []Float16:
		k.applyF16(d, any(src).([]Float16), mask, float32(scale))
	}
}

// callAffine takes d already converted to T (for the 16-bit types through
// float32).
func callAffine[T Float](k *kernels, dst, src []T, mask []uint64, a, b float64, d T) {
	switch dd := any(dst).(type) {
	case []float32:
		k.affine32(dd, any(src).([]float32), mask, float32(a), float32(b), any(d).(float32))
	case []float64:
		k.affine64(dd, any(src).([]float64), mask, a, b, any(d).(float64))
	case []BFloat16:
		k.affineBF16(dd, any(src).([]BFloat16), mask, float32(a), float32(b), any(d).(BFloat16))
	case []Float16:
		k.affineF16(dd, any(src).([]Float16), mask, float32(a), float32(b), any(d).(Float16))
	}
}

// kernelsFor returns the kernels of a call writing dst from src: k's
// streaming set if the call is worth non-temporal stores (large, and not in
// place: an in-place line is already in the cache), else k.
func kernelsFor[T Float](k *kernels, dst, src []T) *kernels {
	if k.stream != nil && len(dst) > 0 && len(dst)*int(unsafe.Sizeof(dst[0])) >= streamMinBytes && &dst[0] != &src[0] {
		return k.stream
	}
	return k
}

// scaleByBits is the byBits loop of T: the driver's partial groups and words.
func scaleByBits[T Float](dst, src []T, m uint64, scale float64) {
	switch d := any(dst).(type) {
	case []float32:
		scaleByBits32(d, any(src).([]float32), m, float32(scale))
	case []float64:
		scaleByBits64(d, any(src).([]float64), m, scale)
	case []BFloat16:
		scaleByBitsBF16(d, any(src).([]BFloat16), m, float32(scale))
	case []Float16:
		scaleByBitsF16(d, any(src).([]Float16), m, float32(scale))
	}
}

func affineByBits[T Float](dst, src []T, m uint64, a, b float64, d T) {
	switch dd := any(dst).(type) {
	case []float32:
		affineByBits32(dd, any(src).([]float32), m, float32(a), float32(b), any(d).(float32))
	case []float64:
		affineByBits64(dd, any(src).([]float64), m, a, b, any(d).(float64))
	case []BFloat16:
		affineByBitsBF16(dd, any(src).([]BFloat16), m, float32(a), float32(b), any(d).(BFloat16))
	case []Float16:
		affineByBitsF16(dd, any(src).([]Float16), m, float32(a), float32(b), any(d).(Float16))
	}
}

// fromFloat64 converts v to T: directly for float32 and float64, through
// float32 for the 16-bit types.
func fromFloat64[T Float](v float64) T {
	var z T
	switch any(z).(type) {
	case float32:
		return any(float32(v)).(T)
	case float64:
		return any(v).(T)
	case BFloat16:
		return any(BFloat16FromFloat32(float32(v))).(T)
	case Float16:
		return any(Float16FromFloat32(float32(v))).(T)
	}
	panic("unreachable")
}

//go:build !(amd64 || arm64) || purego || noasm

package dropout

// archKernels returns no SIMD kernels: the build asked for pure Go, or the
// architecture has none.
func archKernels() []*kernels { return nil }

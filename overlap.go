package dropout

import "unsafe"

// overlapShift reports whether dst and src share memory without being the
// same slice, and if so by how many elements dst starts after src (negative:
// before). Only dst == src is supported in place: the kernels read a vector
// of src before writing the same vector of dst, so a shifted overlap would
// read results already written, differently on each code path.
func overlapShift[T Float](dst, src []T) (shift int, overlap bool) {
	if len(dst) == 0 || len(src) == 0 || &dst[0] == &src[0] {
		return 0, false
	}
	size := unsafe.Sizeof(dst[0])
	d := uintptr(unsafe.Pointer(&dst[0]))
	s := uintptr(unsafe.Pointer(&src[0]))
	if d > s+uintptr(len(src)-1)*size || s > d+uintptr(len(dst)-1)*size {
		return 0, false
	}
	if d > s {
		return int((d - s) / size), true
	}
	return -int((s - d) / size), true
}

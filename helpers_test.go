package dropout

import (
	"math"
	"math/rand/v2"
	"testing"
)

// forEachImpl runs f once for every kernel set this CPU and build support
// (testedKernels), with the public API switched to it, so the whole suite
// checks every path against the reference in one `go test`.
func forEachImpl(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	for _, k := range testedKernels() {
		t.Run(k.name, func(t *testing.T) {
			saved := active
			active = k
			defer func() { active = saved }()
			f(t)
		})
	}
}

// bitsOf returns the IEEE bit pattern of x, so comparisons see NaN payloads,
// -0 and +0.
func bitsOf[T Float](x T) uint64 {
	switch v := any(x).(type) {
	case float32:
		return uint64(math.Float32bits(v))
	case float64:
		return math.Float64bits(v)
	case BFloat16:
		return uint64(v)
	case Float16:
		return uint64(v)
	}
	panic("unreachable")
}

func fromBits[T Float](b uint64) T {
	var z T
	switch any(z).(type) {
	case float32:
		return any(math.Float32frombits(uint32(b))).(T)
	case float64:
		return any(math.Float64frombits(b)).(T)
	}
	return T(b) // the 16-bit types are their bit patterns
}

// sentinel fills guard elements: a NaN with a payload no kernel produces.
func sentinel[T Float]() T {
	var z T
	switch any(z).(type) {
	case float32:
		return fromBits[T](0x7fa5a5a5)
	case float64:
		return fromBits[T](0x7ff5a5a5a5a5a5a5)
	}
	return fromBits[T](0x7fa5) // a signalling NaN in both 16-bit formats
}

const guardWord = 0xdeadbeefcafef00d

// specials are inputs with edge-case bit patterns: NaNs (quiet, signalling,
// negative), infinities, signed zeros, subnormals and extremes.
func specials[T Float]() []T {
	var z T
	switch any(z).(type) {
	case BFloat16:
		return patterns[T](0x7fc0, 0x7fc1, 0x7f81, 0xffc0, 0x7f80, 0xff80, 0, 0x8000, 1, 0x8001, 0x007f, 0x0080, 0x7f7f, 0xff7f, 0x3f80)
	case Float16:
		return patterns[T](0x7e00, 0x7e01, 0x7c01, 0xfe00, 0x7c00, 0xfc00, 0, 0x8000, 1, 0x8001, 0x03ff, 0x0400, 0x7bff, 0xfbff, 0x3c00)
	}
	if _, ok := any(z).(float32); ok {
		pats := []uint32{0x7fc00000, 0x7fc00001, 0x7f800001, 0xffc00000, 0x7f800000, 0xff800000,
			0x00000000, 0x80000000, 0x00000001, 0x80000001, 0x007fffff, 0x00800000, 0x7f7fffff, 0xff7fffff, 0x3f800000}
		out := make([]T, len(pats))
		for i, p := range pats {
			out[i] = fromBits[T](uint64(p))
		}
		return out
	}
	pats := []uint64{0x7ff8000000000000, 0x7ff8000000000001, 0x7ff0000000000001, 0xfff8000000000000,
		0x7ff0000000000000, 0xfff0000000000000, 0, 1 << 63, 1, 1<<63 | 1, 0x000fffffffffffff,
		0x0010000000000000, 0x7fefffffffffffff, 0xffefffffffffffff, 0x3ff0000000000000}
	out := make([]T, len(pats))
	for i, p := range pats {
		out[i] = fromBits[T](p)
	}
	return out
}

func patterns[T Float](p ...uint64) []T {
	out := make([]T, len(p))
	for i, b := range p {
		out[i] = fromBits[T](b)
	}
	return out
}

// testInput returns n values: mostly normal numbers, with a special value at
// about one position in eight.
func testInput[T Float](rng *rand.Rand, n int) []T {
	sp := specials[T]()
	x := make([]T, n)
	for i := range x {
		if rng.IntN(8) == 0 {
			x[i] = sp[rng.IntN(len(sp))]
		} else {
			x[i] = fromFloat64[T](rng.NormFloat64() * 3)
		}
	}
	return x
}

// guarded returns a slice of n elements starting lead elements into a buffer
// whose other elements are sentinels, and the buffer.
func guarded[T Float](n, lead int) (s, buf []T) {
	buf = make([]T, lead+n+9)
	for i := range buf {
		buf[i] = sentinel[T]()
	}
	return buf[lead : lead+n : lead+n], buf
}

func checkGuards[T Float](t *testing.T, what string, buf []T, lead, n int) {
	t.Helper()
	s := bitsOf(sentinel[T]())
	for i, x := range buf {
		if (i < lead || i >= lead+n) && bitsOf(x) != s {
			t.Fatalf("%s: guard element %d (slice is [%d, %d)) was overwritten with %#x", what, i, lead, lead+n, bitsOf(x))
		}
	}
}

// guardedMask returns a mask of Words(n)+2 words filled with guardWord: the
// API may only write the first Words(n).
func guardedMask(n int) []uint64 {
	m := make([]uint64, Words(n)+2)
	for i := range m {
		m[i] = guardWord
	}
	return m
}

func expectMask(t *testing.T, what string, got, want []uint64) {
	t.Helper()
	for i := range got {
		w := uint64(guardWord)
		if i < len(want) {
			w = want[i]
		}
		if got[i] != w {
			t.Fatalf("%s: mask word %d = %#016x, want %#016x", what, i, got[i], w)
		}
	}
}

func checkSame[T Float](t *testing.T, what string, got, want []T) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: len %d, want %d", what, len(got), len(want))
	}
	for i := range got {
		if bitsOf(got[i]) != bitsOf(want[i]) {
			t.Fatalf("%s: element %d = %v (%#x), want %v (%#x)", what, i, got[i], bitsOf(got[i]), want[i], bitsOf(want[i]))
		}
	}
}

func countTrue(b []bool) int {
	n := 0
	for _, k := range b {
		if k {
			n++
		}
	}
	return n
}

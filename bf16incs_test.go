package dropout

import (
	"math"
	"math/rand/v2"
	"testing"
)

// bf16IncsScales are the scales the increment tables are tested with: the
// ends of [1, 2] and their neighbours, Scale of a grid of keep probabilities
// from 0.5 to 1, scales that make ties, and random ones.
func bf16IncsScales() []float32 {
	s := []float32{1, 2, math.Nextafter32(1, 2), math.Nextafter32(2, 1), 1 + 0x1p-8, 1 + 0x1p-7, 1 + 0x1p-9, 1.5, 1 + 0x1p-8 + 0x1p-16}
	for k := 512; k <= 1024; k += 8 {
		s = append(s, float32(Scale(float64(k)/1024)))
	}
	rng := rand.New(rand.NewPCG(21, 22))
	for range 64 {
		s = append(s, 1+rng.Float32())
	}
	return s
}

// TestBF16IncsExact checks the claim the Incs kernels rest on, for every
// bfloat16 pattern they scale by table (exponent field 8 to 247, and ±0):
// x + min(incs[x&0x7f], 2x) is BFloat16FromFloat32(x.Float32()*scale).
func TestBF16IncsExact(t *testing.T) {
	for _, scale := range bf16IncsScales() {
		incs := bf16IncsFor(scale, true)
		if incs == nil {
			t.Fatalf("scale %v: no table", scale)
		}
		fast := 0
		for p := 0; p < 1<<16; p++ {
			x := BFloat16(p)
			if e := p >> 7 & 0xff; (e < 8 || e > 247) && p&0x7fff != 0 {
				continue
			}
			fast++
			got := x + BFloat16(min(uint16(incs[p&0x7f]), uint16(2*x)))
			if want := BFloat16FromFloat32(x.Float32() * scale); got != want {
				t.Fatalf("scale %v, x %#04x: table gives %#04x, want %#04x", scale, p, uint16(got), uint16(want))
			}
		}
		if fast != 2*240*128+2 {
			t.Fatalf("scale %v: %d patterns checked", scale, fast)
		}
	}
}

// TestBF16IncsFor checks the range of scales with tables, the cache (each
// call returns the table of its own scale), which a call that may not build
// one still uses.
func TestBF16IncsFor(t *testing.T) {
	for _, scale := range []float32{0, 0.5, math.Nextafter32(1, 0), math.Nextafter32(2, 3), 3, float32(math.Inf(1)), float32(math.NaN()), -1.5} {
		if bf16IncsFor(scale, true) != nil {
			t.Errorf("scale %v: got a table, want nil", scale)
		}
	}
	a := *bf16IncsFor(1.25, true)
	if bf16IncsFor(2, false) != nil {
		t.Fatalf("scale 2, not cached, no build: got a table")
	}
	b := *bf16IncsFor(2, true)
	for m, inc := range b {
		if inc != 0x80 {
			t.Fatalf("scale 2: incs[%d] = %#x, want 0x80 (one binade)", m, inc)
		}
	}
	if small := bf16IncsFor(2, false); small == nil || *small != b {
		t.Fatalf("scale 2, cached, no build: want the cached table")
	}
	if again := *bf16IncsFor(1.25, true); again != a {
		t.Fatalf("scale 1.25 after scale 2: table differs")
	}
	if a == b {
		t.Fatalf("scales 1.25 and 2 give the same table")
	}
}

// Package benchcases defines the module's benchmarks once, for both
// `go test -bench` (bench_test.go) and cmd/dropoutbench: the package's
// operations on every kernel set, and the baselines they are judged against
// (copy of the same bytes, and the per-element loops Go ML code uses today).
package benchcases

import (
	"fmt"
	mrand "math/rand/v2"
	"testing"

	"github.com/gokernels/dropout"
	"github.com/gokernels/dropout/internal/implhook"
	xrand "golang.org/x/exp/rand"
)

// Case is one benchmark: an operation on n elements of one type, run by one
// kernel set ("generic", "avx2", ...) or a baseline ("copy", "naive-...").
type Case struct {
	Op      string // "Forward", "GenerateMask", "Apply" or "Baseline"
	Type    string // "float32" or "float64"
	N       int
	Variant string
	Bytes   int64 // bytes of src (n * element size) for b.SetBytes
	Run     func(b *testing.B)
}

// Name is the sub-benchmark name: type/n/variant.
func (c Case) Name() string { return fmt.Sprintf("%s/n=%s/%s", c.Type, SizeName(c.N), c.Variant) }

// Baselines are the variants that are not kernel sets.
var Baselines = []string{"copy", "naive-math-rand-v2", "naive-x-exp-rand"}

// SizeName writes n as 4Ki, 64Ki, 1Mi, ...
func SizeName(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dMi", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%dKi", n>>10)
	}
	return fmt.Sprint(n)
}

// Cases returns the benchmarks of op ("Baseline" for the baselines) at each
// size, for every kernel set this CPU runs, with the given keep probability.
func Cases(op string, sizes []int, keep float64, impls []string) []Case {
	var cases []Case
	for _, typ := range []string{"float32", "float64"} {
		if op == "GenerateMask" && typ == "float64" {
			continue // no data: one entry, reported as float32-equivalent bytes
		}
		for _, n := range sizes {
			variants := impls
			if op == "Baseline" {
				variants = Baselines
			}
			for _, v := range variants {
				c := Case{Op: op, Type: typ, N: n, Variant: v}
				if typ == "float32" {
					c.Bytes, c.Run = 4*int64(n), runner[float32](op, v, n, keep)
				} else {
					c.Bytes, c.Run = 8*int64(n), runner[float64](op, v, n, keep)
				}
				cases = append(cases, c)
			}
		}
	}
	return cases
}

func runner[T float32 | float64](op, variant string, n int, keep float64) func(b *testing.B) {
	return func(b *testing.B) {
		src, dst := make([]T, n), make([]T, n)
		for i := range src {
			src[i] = T(i%1000) * 0.001
		}
		mask := make([]uint64, dropout.Words(n))
		cfg := dropout.Config{Keep: keep, Seed: 1}
		if op != "Baseline" {
			restore, ok := implhook.Use(variant)
			if !ok {
				b.Skipf("kernel set %s is not available", variant)
			}
			defer restore()
		}
		var body func(i int)
		switch op + "/" + variant {
		case "Baseline/copy":
			body = func(int) { copy(dst, src) }
		case "Baseline/naive-math-rand-v2":
			rng := mrand.New(mrand.NewPCG(1, 2))
			keepMask := make([]bool, n)
			body = func(int) { naiveMathRandV2(dst, src, keepMask, T(keep), rng) }
		case "Baseline/naive-x-exp-rand":
			rng := xrand.New(xrand.NewSource(1))
			keepMask := make([]bool, n)
			body = func(int) { naiveXExpRand(dst, src, keepMask, T(keep), rng) }
		default:
			switch op {
			case "Forward":
				body = func(i int) { cfg.Offset = uint64(i) * uint64(n); mustKept(dropout.Forward(dst, src, mask, cfg)) }
			case "GenerateMask":
				body = func(i int) { cfg.Offset = uint64(i) * uint64(n); mustKept(dropout.GenerateMask(mask, n, cfg)) }
			case "Apply":
				mustKept(dropout.GenerateMask(mask, n, cfg))
				scale := dropout.Scale(keep)
				body = func(int) { must(dropout.Apply(dst, src, mask, scale)) }
			default:
				panic("benchcases: unknown op " + op)
			}
		}
		b.SetBytes(int64(n) * int64(sizeOf[T]()))
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			body(i)
		}
	}
}

// naiveMathRandV2 is dropout as Go code writes it today: one draw per
// element, a []bool mask, scale 1/keep.
func naiveMathRandV2[T float32 | float64](dst, src []T, keepMask []bool, keep T, rng *mrand.Rand) {
	scale := 1 / keep
	for i, x := range src {
		k := T(rng.Float64()) < keep
		keepMask[i] = k
		if k {
			dst[i] = x * scale
		} else {
			dst[i] = 0
		}
	}
}

// naiveXExpRand is the same loop with golang.org/x/exp/rand.
func naiveXExpRand[T float32 | float64](dst, src []T, keepMask []bool, keep T, rng *xrand.Rand) {
	scale := 1 / keep
	for i, x := range src {
		k := T(rng.Float64()) < keep
		keepMask[i] = k
		if k {
			dst[i] = x * scale
		} else {
			dst[i] = 0
		}
	}
}

func sizeOf[T float32 | float64]() int {
	var z T
	if _, ok := any(z).(float32); ok {
		return 4
	}
	return 8
}

func mustKept(_ int, err error) { must(err) }

func must(err error) {
	if err != nil {
		panic(err)
	}
}

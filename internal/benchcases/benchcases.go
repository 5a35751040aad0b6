// Package benchcases defines the module's benchmarks once, for both
// `go test -bench` (bench_test.go) and cmd/dropoutbench: the package's
// operations on every kernel set, and the baselines they are judged against
// (copy of the same bytes, and the per-element loops Go ML code uses today).
package benchcases

import (
	"fmt"
	mrand "math/rand/v2"
	"strings"
	"testing"
	"unsafe"

	"github.com/gokernels/dropout"
	"github.com/gokernels/dropout/internal/implhook"
	xrand "golang.org/x/exp/rand"
)

// Case is one benchmark: an operation on n elements of one type, run by one
// kernel set ("generic", "avx2", ...) or a baseline ("copy", "naive-...").
type Case struct {
	Op      string // one of Ops, or "Baseline"
	Type    string // one of Types
	N       int
	Variant string
	Bytes   int64 // bytes of src (n * element size) for b.SetBytes
	Run     func(b *testing.B)
}

// Name is the sub-benchmark name: type/n/variant.
func (c Case) Name() string { return fmt.Sprintf("%s/n=%s/%s", c.Type, SizeName(c.N), c.Variant) }

// Baselines are the variants that are not kernel sets. The naive loops
// exist for float32 and float64 only.
var Baselines = []string{"copy", "naive-math-rand-v2", "naive-x-exp-rand"}

// Ops are the package operations measured. ForwardExact uses rows of 1024
// elements, ForwardChannels blocks of 49 (7x7 feature maps); an op with the
// suffix -Workers2 runs with Config.Workers = 2.
var Ops = []string{"Forward", "GenerateMask", "Apply", "Backward-nil-mask", "ForwardExact", "ForwardChannels", "ForwardAlpha",
	"Forward-Workers2", "ForwardExact-Workers2", "ForwardChannels-Workers2"}

// Types are the element types.
var Types = []string{"float32", "float64", "bfloat16", "float16"}

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
func Cases(op string, types []string, sizes []int, keep float64, impls []string) []Case {
	var cases []Case
	for _, typ := range types {
		if op == "GenerateMask" && typ != "float32" {
			continue // no data: one entry, reported as float32-equivalent bytes
		}
		for _, n := range sizes {
			variants := impls
			if op == "Baseline" {
				variants = Baselines
			}
			for _, v := range variants {
				if strings.HasPrefix(v, "naive") && (typ == "bfloat16" || typ == "float16") {
					continue
				}
				c := Case{Op: op, Type: typ, N: n, Variant: v}
				switch typ {
				case "float32":
					c.Bytes, c.Run = 4*int64(n), runner[float32](op, v, n, keep)
				case "float64":
					c.Bytes, c.Run = 8*int64(n), runner[float64](op, v, n, keep)
				case "bfloat16":
					c.Bytes, c.Run = 2*int64(n), runner[dropout.BFloat16](op, v, n, keep)
				case "float16":
					c.Bytes, c.Run = 2*int64(n), runner[dropout.Float16](op, v, n, keep)
				default:
					panic("benchcases: unknown type " + typ)
				}
				cases = append(cases, c)
			}
		}
	}
	return cases
}

func runner[T dropout.Float](op, variant string, n int, keep float64) func(b *testing.B) {
	return func(b *testing.B) {
		src, dst := make([]T, n), make([]T, n)
		if strings.HasSuffix(op, "-Shard7") {
			// A shard of a larger tensor, 7 elements into it: its buffers
			// are slices of the tensor's, so its 32-element groups start
			// where the tensor's do, on 128-byte boundaries for float32.
			src, dst = make([]T, n+7)[7:], make([]T, n+7)[7:]
		}
		for i := range src {
			src[i] = fromFloat32[T](float32(i%1000) * 0.001)
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
			body = naiveBody(dst, src, keep, func() float64 { return 0 }, "math/rand/v2")
		case "Baseline/naive-x-exp-rand":
			body = naiveBody(dst, src, keep, func() float64 { return 0 }, "x/exp/rand")
		default:
			if base, ok := strings.CutSuffix(op, "-Workers2"); ok {
				op, cfg.Workers = base, 2
			}
			// A shard that starts 7 elements into a 32-element group: in its
			// own buffers (-Offset7), whose start is aligned, so the groups
			// are not, or in slices of the whole tensor's (-Shard7).
			var shift uint64
			for _, suffix := range []string{"-Offset7", "-Shard7"} {
				if base, ok := strings.CutSuffix(op, suffix); ok {
					op, shift = base, 7
				}
			}
			switch op {
			case "Forward":
				body = func(i int) { cfg.Offset = uint64(i)*uint64(n) + shift; mustKept(dropout.Forward(dst, src, mask, cfg)) }
			case "GenerateMask":
				body = func(i int) { cfg.Offset = uint64(i) * uint64(n); mustKept(dropout.GenerateMask(mask, n, cfg)) }
			case "Apply":
				mustKept(dropout.GenerateMask(mask, n, cfg))
				scale := dropout.Scale(keep)
				body = func(int) { must(dropout.Apply(dst, src, mask, scale)) }
			case "Backward-nil-mask":
				body = func(i int) { cfg.Offset = uint64(i) * uint64(n); must(dropout.Backward(dst, src, nil, cfg)) }
			case "ForwardExact":
				rows := min(n, 1024)
				body = func(i int) {
					cfg.Offset = uint64(i) * uint64(n)
					mustKept(dropout.ForwardExact(dst, src, mask, cfg, rows))
				}
			case "ForwardChannels":
				m := n - n%49
				body = func(i int) {
					cfg.Offset = uint64(i) * uint64(n)
					mustKept(dropout.ForwardChannels(dst[:m], src[:m], mask, cfg, 49))
				}
			case "ForwardAlpha":
				body = func(i int) { cfg.Offset = uint64(i) * uint64(n); mustKept(dropout.ForwardAlpha(dst, src, mask, cfg)) }
			default:
				panic("benchcases: unknown op " + op)
			}
		}
		b.SetBytes(int64(n) * int64(unsafe.Sizeof(src[0])))
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			body(i)
		}
	}
}

// naiveBody returns the per-element loop for float32 and float64 with the
// named generator; the 16-bit types have no naive baseline.
func naiveBody[T dropout.Float](dst, src []T, keep float64, _ func() float64, gen string) func(int) {
	keepMask := make([]bool, len(src))
	switch d := any(dst).(type) {
	case []float32:
		s := any(src).([]float32)
		if gen == "math/rand/v2" {
			rng := mrand.New(mrand.NewPCG(1, 2))
			return func(int) { naiveMathRandV2(d, s, keepMask, float32(keep), rng) }
		}
		rng := xrand.New(xrand.NewSource(1))
		return func(int) { naiveXExpRand(d, s, keepMask, float32(keep), rng) }
	case []float64:
		s := any(src).([]float64)
		if gen == "math/rand/v2" {
			rng := mrand.New(mrand.NewPCG(1, 2))
			return func(int) { naiveMathRandV2(d, s, keepMask, keep, rng) }
		}
		rng := xrand.New(xrand.NewSource(1))
		return func(int) { naiveXExpRand(d, s, keepMask, keep, rng) }
	}
	panic("benchcases: no naive loop for this type")
}

func fromFloat32[T dropout.Float](f float32) T {
	var z T
	switch any(z).(type) {
	case float32:
		return any(f).(T)
	case float64:
		return any(float64(f)).(T)
	case dropout.BFloat16:
		return any(dropout.BFloat16FromFloat32(f)).(T)
	}
	return any(dropout.Float16FromFloat32(f)).(T)
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

func mustKept(_ int, err error) { must(err) }

func must(err error) {
	if err != nil {
		panic(err)
	}
}

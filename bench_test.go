package dropout_test

import (
	"testing"

	"github.com/gokernels/dropout"
	"github.com/gokernels/dropout/internal/benchcases"
)

// Sizes in elements: L1/L2-resident, L2, L3 and main memory.
var benchSizes = []int{4 << 10, 64 << 10, 1 << 20, 16 << 20}

// benchKeep is the keep probability of the benchmarks (dropout rate 0.1).
const benchKeep = 0.9

func runCases(b *testing.B, op string, types ...string) {
	if len(types) == 0 {
		types = benchcases.Types
	}
	for _, c := range benchcases.Cases(op, types, benchSizes, benchKeep, dropout.Implementations()) {
		b.Run(c.Name(), c.Run)
	}
}

// BenchmarkForward: the fused forward (mask stored), per kernel set.
func BenchmarkForward(b *testing.B) { runCases(b, "Forward") }

// BenchmarkGenerateMask: mask only; bytes are those of a float32 tensor of n.
func BenchmarkGenerateMask(b *testing.B) { runCases(b, "GenerateMask") }

// BenchmarkApply: dst = mask ? src*scale : 0 with a stored mask (Backward).
func BenchmarkApply(b *testing.B) { runCases(b, "Apply") }

// BenchmarkBackwardNilMask: the gradient regenerating the mask (no mask memory).
func BenchmarkBackwardNilMask(b *testing.B) { runCases(b, "Backward-nil-mask", "float32") }

// BenchmarkForwardExact: exact-count compensation, rows of 1024.
func BenchmarkForwardExact(b *testing.B) { runCases(b, "ForwardExact", "float32") }

// BenchmarkForwardChannels: channel dropout over 7x7 blocks.
func BenchmarkForwardChannels(b *testing.B) { runCases(b, "ForwardChannels", "float32") }

// BenchmarkForwardAlpha: alpha dropout.
func BenchmarkForwardAlpha(b *testing.B) { runCases(b, "ForwardAlpha", "float32") }

// BenchmarkForwardOffset7: Forward of a shard whose Offset is not a multiple
// of 32, in buffers of its own, whose start is aligned but whose 32-element
// groups are not (on AVX-512 the kernels realign the mask instead); compare
// with BenchmarkForward.
func BenchmarkForwardOffset7(b *testing.B) { runCases(b, "Forward-Offset7", "float32", "bfloat16") }

// BenchmarkForwardShard7: the same shard as a slice of the whole tensor's
// buffers, which the tensor's alignment gives aligned groups.
func BenchmarkForwardShard7(b *testing.B) { runCases(b, "Forward-Shard7", "float32", "bfloat16") }

// BenchmarkForwardWorkers2: Forward with Config.Workers = 2; compare with
// BenchmarkForward of the same kernel set.
func BenchmarkForwardWorkers2(b *testing.B) { runCases(b, "Forward-Workers2", "float32", "bfloat16") }

// BenchmarkVariantsWorkers2: ForwardExact (rows of 1024) and ForwardChannels
// (7x7 blocks) with Config.Workers = 2; compare with their one-goroutine
// benchmarks.
func BenchmarkVariantsWorkers2(b *testing.B) {
	b.Run("ForwardExact", func(b *testing.B) { runCases(b, "ForwardExact-Workers2", "float32") })
	b.Run("ForwardChannels", func(b *testing.B) { runCases(b, "ForwardChannels-Workers2", "float32") })
}

// BenchmarkBaseline: copy of the same bytes (the memory limit), and the
// per-element dropout loops with math/rand/v2 and golang.org/x/exp/rand.
func BenchmarkBaseline(b *testing.B) { runCases(b, "Baseline") }

// BenchmarkSameBuffers: bfloat16 Forward at 16Mi and copy on the very same
// buffers (the cases above give each benchmark buffers of its own), for the
// 16-bit bar; with -count, the two alternate and each pair shares buffers.
func BenchmarkSameBuffers(b *testing.B) {
	const n = 16 << 20
	src, dst := make([]dropout.BFloat16, n), make([]dropout.BFloat16, n)
	for i := range src {
		src[i] = dropout.BFloat16FromFloat32(float32(i%1000) * 0.001)
	}
	mask := make([]uint64, dropout.Words(n))
	b.Run("copy", func(b *testing.B) {
		b.SetBytes(2 * n)
		for b.Loop() {
			copy(dst, src)
		}
	})
	b.Run("Forward", func(b *testing.B) {
		b.SetBytes(2 * n)
		cfg := dropout.Config{Keep: benchKeep, Seed: 1}
		for i := 0; b.Loop(); i++ {
			cfg.Offset = uint64(i) * n
			if _, err := dropout.Forward(dst, src, mask, cfg); err != nil {
				b.Fatal(err)
			}
		}
	})
}

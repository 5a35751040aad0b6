package dropout_test

import (
	"fmt"

	"github.com/gokernels/dropout"
)

// A training step: Forward keeps the bit-packed mask, Backward applies it.
func Example() {
	x := []float32{1, 2, 3, 4, 5, 6, 7, 8}
	y := make([]float32, len(x))
	mask := make([]uint64, dropout.Words(len(x)))
	cfg := dropout.Config{Keep: 0.5, Seed: 42}

	kept, err := dropout.Forward(y, x, mask, cfg)
	if err != nil {
		panic(err)
	}
	fmt.Println("kept:", kept, "y:", y)

	dy := []float32{1, 1, 1, 1, 1, 1, 1, 1}
	dx := make([]float32, len(dy))
	if err := dropout.Backward(dx, dy, mask, cfg); err != nil {
		panic(err)
	}
	fmt.Println("dx:", dx)
	// Output:
	// kept: 4 y: [0 0 6 8 0 12 0 16]
	// dx: [0 0 2 2 0 2 0 2]
}

// Backward without a mask regenerates it from Seed and Offset: no mask
// memory is kept between the passes, and the gradient is the same.
func ExampleBackward_withoutMask() {
	cfg := dropout.Config{Keep: 0.5, Seed: 42}
	dy := []float32{1, 1, 1, 1, 1, 1, 1, 1}
	dx := make([]float32, len(dy))
	if err := dropout.Backward(dx, dy, nil, cfg); err != nil {
		panic(err)
	}
	fmt.Println(dx)
	// Output: [0 0 2 2 0 2 0 2]
}

// Shards of one tensor, processed anywhere, give the mask of the whole:
// each shard's Offset is the index of its first element.
func ExampleConfig_offset() {
	whole := make([]uint64, 1)
	dropout.GenerateMask(whole, 40, dropout.Config{Keep: 0.5, Seed: 7})

	first, second := make([]uint64, 1), make([]uint64, 1)
	dropout.GenerateMask(first, 25, dropout.Config{Keep: 0.5, Seed: 7})
	dropout.GenerateMask(second, 15, dropout.Config{Keep: 0.5, Seed: 7, Offset: 25})
	fmt.Println(whole[0] == first[0]|second[0]<<25)
	// Output: true
}

// The scale is the reciprocal of the probability actually used.
func ExampleScale() {
	fmt.Println(dropout.EffectiveKeep(0.5), dropout.Scale(0.5))
	fmt.Printf("%.12f %.12f\n", dropout.EffectiveKeep(0.9), dropout.Scale(0.9))
	// Output:
	// 0.5 2
	// 0.899999999907 1.111111111226
}

// Apply is the mask-multiply-scale kernel for a stored mask and any scale.
func ExampleApply() {
	src := []float64{1, 2, 3, 4}
	dst := make([]float64, 4)
	mask := []uint64{0b1011}
	if err := dropout.Apply(dst, src, mask, 10); err != nil {
		panic(err)
	}
	fmt.Println(dst)
	// Output: [10 20 0 40]
}

// Bad arguments return an error wrapping ErrInvalid; nothing is written.
func ExampleForward_invalid() {
	_, err := dropout.Forward(make([]float32, 3), make([]float32, 4), nil, dropout.Config{Keep: 0.5})
	fmt.Println(err)
	// Output: dropout: invalid argument: len(dst)=3 != len(src)=4
}

// 16-bit activations are passed as their bit patterns: the same calls, no
// conversion pass. Each kept element is rounded once more, to bfloat16.
func ExampleForward_bfloat16() {
	x := make([]dropout.BFloat16, 8)
	for i := range x {
		x[i] = dropout.BFloat16FromFloat32(float32(i+1) / 3)
	}
	y := make([]dropout.BFloat16, len(x))
	mask := make([]uint64, dropout.Words(len(x)))
	kept, err := dropout.Forward(y, x, mask, dropout.Config{Keep: 0.5, Seed: 42})
	if err != nil {
		panic(err)
	}
	fmt.Print("kept: ", kept, " y:")
	for _, h := range y {
		fmt.Print(" ", h.Float32())
	}
	fmt.Println()
	// Output: kept: 4 y: 0 0 2 2.671875 0 4 0 5.34375
}

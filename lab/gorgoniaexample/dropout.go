// Package gorgoniaexample wires the dropout kernels into gorgonia.org/gorgonia
// (v0.9.18) as a custom Op on the framework's own tensors: the forward Op
// runs dropout.Forward on the input *tensor.Dense's backing slice, and the
// gradient Op regenerates the mask from the layer's Seed and Offset with
// dropout.Backward(dx, dy, nil, cfg), so no mask is kept between the passes.
package gorgoniaexample

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	"github.com/gokernels/dropout"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Layer is the state of one dropout layer. The training loop sets Seed to a
// fresh value before each step (e.g. the step number); the forward Op and
// its gradient both read it, so they use the same mask.
type Layer struct {
	Keep     float64
	Seed     uint64
	Offset   uint64
	Training bool
	id       int
}

var layers int

// Dropout adds dropout with the given layer to the graph of x.
func Dropout(x *G.Node, l *Layer) (*G.Node, error) {
	if l.id == 0 {
		layers++
		l.id = layers
	}
	return G.ApplyOp(&dropoutOp{l}, x)
}

func (l *Layer) config() dropout.Config {
	return dropout.Config{Keep: l.Keep, Seed: l.Seed, Offset: l.Offset}
}

// run computes out = dropout(in) (forward) or the gradient (backward, a
// regenerated mask: the same bits and scale).
func (l *Layer) run(in tensor.Tensor, backward bool) (tensor.Tensor, error) {
	src, ok := in.(*tensor.Dense)
	if !ok {
		return nil, fmt.Errorf("dropout: want *tensor.Dense, have %T", in)
	}
	if !l.Training {
		return src, nil
	}
	out := tensor.New(tensor.WithShape(src.Shape().Clone()...), tensor.Of(src.Dtype()))
	var err error
	switch s := src.Data().(type) {
	case []float32:
		if backward {
			err = dropout.Backward(out.Float32s(), s, nil, l.config())
		} else {
			_, err = dropout.Forward(out.Float32s(), s, nil, l.config())
		}
	case []float64:
		if backward {
			err = dropout.Backward(out.Float64s(), s, nil, l.config())
		} else {
			_, err = dropout.Forward(out.Float64s(), s, nil, l.config())
		}
	default:
		err = fmt.Errorf("dropout: unsupported dtype %v", src.Dtype())
	}
	return out, err
}

type dropoutOp struct{ l *Layer }

func (op *dropoutOp) Arity() int { return 1 }
func (op *dropoutOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(a, a)
}
func (op *dropoutOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	return in[0].(tensor.Shape).Clone(), nil
}
func (op *dropoutOp) Do(v ...G.Value) (G.Value, error) {
	t, ok := v[0].(tensor.Tensor)
	if !ok {
		return nil, fmt.Errorf("dropout: want a tensor, have %T", v[0])
	}
	return op.l.run(t, false)
}
func (op *dropoutOp) ReturnsPtr() bool      { return false }
func (op *dropoutOp) CallsExtern() bool     { return false }
func (op *dropoutOp) OverwritesInput() int  { return -1 }
func (op *dropoutOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op *dropoutOp) Hashcode() uint32      { return hashOf(op) }
func (op *dropoutOp) String() string        { return fmt.Sprintf("KernelDropout#%d", op.l.id) }

// DiffWRT and SymDiff make the Op differentiable (G.Grad).
func (op *dropoutOp) DiffWRT(int) []bool { return []bool{true} }
func (op *dropoutOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(&dropoutGradOp{op.l}, grad)
	return G.Nodes{dx}, err
}

// dropoutGradOp is dx = Backward(dy) with the mask regenerated.
type dropoutGradOp struct{ l *Layer }

func (op *dropoutGradOp) Arity() int { return 1 }
func (op *dropoutGradOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(a, a)
}
func (op *dropoutGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	return in[0].(tensor.Shape).Clone(), nil
}
func (op *dropoutGradOp) Do(v ...G.Value) (G.Value, error) {
	t, ok := v[0].(tensor.Tensor)
	if !ok {
		return nil, fmt.Errorf("dropout grad: want a tensor, have %T", v[0])
	}
	return op.l.run(t, true)
}
func (op *dropoutGradOp) ReturnsPtr() bool      { return false }
func (op *dropoutGradOp) CallsExtern() bool     { return false }
func (op *dropoutGradOp) OverwritesInput() int  { return -1 }
func (op *dropoutGradOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op *dropoutGradOp) Hashcode() uint32      { return hashOf(op) }
func (op *dropoutGradOp) String() string        { return fmt.Sprintf("KernelDropoutGrad#%d", op.l.id) }

func hashOf(op interface{ String() string }) uint32 {
	h := uint32(2166136261)
	for _, c := range []byte(op.String()) {
		h = (h ^ uint32(c)) * 16777619
	}
	return h
}

var (
	_ G.SDOp = &dropoutOp{}
	_ G.Op   = &dropoutGradOp{}
)

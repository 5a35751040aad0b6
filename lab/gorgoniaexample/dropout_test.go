package gorgoniaexample

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gokernels/dropout"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func randDense(rng *rand.Rand, shape ...int) *tensor.Dense {
	n := 1
	for _, s := range shape {
		n *= s
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))
}

// The Op's forward equals dropout.Forward on the node's tensor, and the
// gradient G.Grad computes through it equals dropout.Backward.
func TestOpForwardAndGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	g := G.NewGraph()
	xv := randDense(rng, 8, 100)
	cv := randDense(rng, 8, 100)
	x := G.NewMatrix(g, tensor.Float32, G.WithShape(8, 100), G.WithName("x"), G.WithValue(xv))
	c := G.NewMatrix(g, tensor.Float32, G.WithShape(8, 100), G.WithName("c"), G.WithValue(cv))
	l := &Layer{Keep: 0.7, Seed: 42, Offset: 5, Training: true}
	y := G.Must(Dropout(x, l))
	cost := G.Must(G.Sum(G.Must(G.HadamardProd(y, c)))) // d cost / d y = c
	if _, err := G.Grad(cost, x); err != nil {
		t.Fatal(err)
	}
	m := G.NewTapeMachine(g, G.BindDualValues(x))
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	cfg := dropout.Config{Keep: 0.7, Seed: 42, Offset: 5}
	want := make([]float32, 800)
	mask := make([]uint64, dropout.Words(800))
	kept, _ := dropout.Forward(want, xv.Float32s(), mask, cfg)
	if kept == 0 || kept == 800 {
		t.Fatalf("kept %d of 800", kept)
	}
	got := y.Value().Data().([]float32)
	wantGrad := make([]float32, 800)
	if err := dropout.Backward(wantGrad, cv.Float32s(), mask, cfg); err != nil {
		t.Fatal(err)
	}
	gv, err := x.Grad()
	if err != nil {
		t.Fatal(err)
	}
	grad := gv.Data().([]float32)
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("y[%d] = %v, want %v", i, got[i], want[i])
		}
		if math.Abs(float64(grad[i]-wantGrad[i])) > 1e-6 {
			t.Fatalf("dx[%d] = %v, want %v", i, grad[i], wantGrad[i])
		}
	}
}

// A training step loop: a two-layer regression network with the kernel
// dropout between the layers, a fresh Seed per step, gorgonia's autodiff and
// solver. The loss falls.
func TestTrainingStep(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	const batch, in, hid = 64, 8, 128
	xv := randDense(rng, batch, in)
	wt := randDense(rng, in, 1)
	yv := tensor.New(tensor.WithShape(batch, 1), tensor.Of(tensor.Float32))
	for b := range batch { // a linear teacher
		s := float32(0)
		for k := range in {
			s += xv.Float32s()[b*in+k] * wt.Float32s()[k]
		}
		yv.Float32s()[b] = s
	}
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float32, G.WithShape(batch, in), G.WithName("x"), G.WithValue(xv))
	y := G.NewMatrix(g, tensor.Float32, G.WithShape(batch, 1), G.WithName("y"), G.WithValue(yv))
	w1 := G.NewMatrix(g, tensor.Float32, G.WithShape(in, hid), G.WithName("w1"), G.WithInit(G.GlorotN(1)))
	w2 := G.NewMatrix(g, tensor.Float32, G.WithShape(hid, 1), G.WithName("w2"), G.WithInit(G.GlorotN(1)))
	l := &Layer{Keep: 0.8, Training: true}
	h := G.Must(Dropout(G.Must(G.Rectify(G.Must(G.Mul(x, w1)))), l))
	pred := G.Must(G.Mul(h, w2))
	cost := G.Must(G.Mean(G.Must(G.Square(G.Must(G.Sub(pred, y))))))
	if _, err := G.Grad(cost, w1, w2); err != nil {
		t.Fatal(err)
	}
	var loss G.Value
	G.Read(cost, &loss)
	m := G.NewTapeMachine(g, G.BindDualValues(w1, w2))
	defer m.Close()
	solver := G.NewAdamSolver(G.WithLearnRate(0.01))
	var first, last float32
	for step := 0; step < 150; step++ {
		l.Seed = uint64(step) + 1
		if err := m.RunAll(); err != nil {
			t.Fatal(err)
		}
		if err := solver.Step(G.NodesToValueGrads(G.Nodes{w1, w2})); err != nil {
			t.Fatal(err)
		}
		v := loss.Data().(float32)
		if step == 0 {
			first = v
		}
		last = v
		m.Reset()
	}
	t.Logf("loss %.4f -> %.4f", first, last)
	if !(last < 0.25*first) {
		t.Errorf("loss %.4f -> %.4f: did not fall to a quarter", first, last)
	}
}

// Same tensor, same run: gorgonia's own Dropout Op against the kernel Op
// (both called as Ops: Do allocates the output tensor), and the kernel
// writing into a preallocated tensor's backing slice.
func BenchmarkDropout(b *testing.B) {
	const n = 1 << 20
	rng := rand.New(rand.NewPCG(3, 3))
	xv := randDense(rng, 1024, 1024)
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float32, G.WithShape(1024, 1024), G.WithName("x"), G.WithValue(xv))
	theirs := G.Must(G.Dropout(x, 0.5)).Op() // dropout probability 0.5
	l := &Layer{Keep: 0.5, Training: true}
	ours := G.Must(Dropout(x, l)).Op()
	b.Run("gorgonia.Dropout", func(b *testing.B) {
		b.SetBytes(4 * n)
		for b.Loop() {
			if _, err := theirs.Do(xv); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("kernel-op", func(b *testing.B) {
		b.SetBytes(4 * n)
		for b.Loop() {
			l.Seed++
			if _, err := ours.Do(xv); err != nil {
				b.Fatal(err)
			}
		}
	})
	out := tensor.New(tensor.WithShape(1024, 1024), tensor.Of(tensor.Float32))
	b.Run("kernel-prealloc", func(b *testing.B) {
		b.SetBytes(4 * n)
		for b.Loop() {
			l.Seed++
			if _, err := dropout.Forward(out.Float32s(), xv.Float32s(), nil, l.config()); err != nil {
				b.Fatal(err)
			}
		}
	})
}

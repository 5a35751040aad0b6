// Package mlp is a small multilayer perceptron in plain Go, trained with the
// dropout package's kernels: 2 inputs, two hidden ReLU layers with dropout,
// one logistic output, binary cross-entropy, full-batch Adam, on the
// two-moons task with few training samples.
package mlp

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gokernels/dropout"
	"github.com/gokernels/dropout/lab/scaling"
)

// Mode is the dropout variant used in training.
type Mode int

const (
	NoDropout Mode = iota // plain network
	Expected              // dropout.Forward / Backward: survivors * 1/keep
	Exact                 // ForwardExact / BackwardExact: survivors of a row * H/k_row
)

func (m Mode) String() string {
	return [...]string{"no dropout", "expected scaling", "exact scaling"}[m]
}

// TwoMoons returns n points of the two interleaved half circles with
// Gaussian noise, labels 0 and 1 alternating.
func TwoMoons(n int, noise float64, rng *rand.Rand) (x [][2]float64, y []float64) {
	x = make([][2]float64, n)
	y = make([]float64, n)
	for i := range x {
		t := math.Pi * rng.Float64()
		if i%2 == 0 {
			x[i] = [2]float64{math.Cos(t), math.Sin(t)}
		} else {
			x[i] = [2]float64{1 - math.Cos(t), 0.5 - math.Sin(t)}
			y[i] = 1
		}
		x[i][0] += noise * rng.NormFloat64()
		x[i][1] += noise * rng.NormFloat64()
	}
	return x, y
}

// Net is the network 2 -> H -> H -> 1. Weight matrices are row-major
// [out][in].
type Net struct {
	H              int
	W1, B1, W2, B2 []float64
	W3, B3         []float64
}

// NewNet returns a network with He-initialised weights.
func NewNet(h int, rng *rand.Rand) *Net {
	n := &Net{H: h, W1: make([]float64, h*2), B1: make([]float64, h), W2: make([]float64, h*h),
		B2: make([]float64, h), W3: make([]float64, h), B3: make([]float64, 1)}
	for _, p := range []struct {
		w   []float64
		fan int
	}{{n.W1, 2}, {n.W2, h}, {n.W3, h}} {
		s := math.Sqrt(2 / float64(p.fan))
		for i := range p.w {
			p.w[i] = s * rng.NormFloat64()
		}
	}
	return n
}

// Params returns the parameter slices in a fixed order.
func (n *Net) Params() [][]float64 { return [][]float64{n.W1, n.B1, n.W2, n.B2, n.W3, n.B3} }

// Dropout is the dropout of one training step: Keep, the mode and the seed
// the step's masks are derived from (layer l uses Seed*2+l).
type Dropout struct {
	Mode Mode
	Keep float64
	Seed uint64
}

// LossGrad runs the network on the batch (with dropout d, or none if
// d.Mode == NoDropout) and returns the mean binary cross-entropy; if grads is
// non-nil (shaped like Params) it also stores the gradient there.
//
// The first dropout layer keeps its mask for the backward pass; the second
// keeps only its Config and regenerates the mask in backward (mask nil):
// the two ways a framework can wire the kernels in.
func (n *Net) LossGrad(x [][2]float64, y []float64, d Dropout, grads [][]float64) (float64, error) {
	B, H := len(x), n.H
	z1 := make([]float64, B*H)
	for b := range B {
		for j := range H {
			z1[b*H+j] = n.B1[j] + n.W1[j*2]*x[b][0] + n.W1[j*2+1]*x[b][1]
		}
	}
	a1 := relu(z1)
	cfg1 := dropout.Config{Keep: d.Keep, Seed: d.Seed * 2}
	cfg2 := dropout.Config{Keep: d.Keep, Seed: d.Seed*2 + 1}
	mask1 := make([]uint64, dropout.Words(B*H))
	h1, err := d.forward(a1, mask1, cfg1, H)
	if err != nil {
		return 0, err
	}
	z2 := make([]float64, B*H)
	for b := range B {
		for j := range H {
			s := n.B2[j]
			w := n.W2[j*H : (j+1)*H]
			hb := h1[b*H : (b+1)*H]
			for k := range H {
				s += w[k] * hb[k]
			}
			z2[b*H+j] = s
		}
	}
	a2 := relu(z2)
	h2, err := d.forward(a2, nil, cfg2, H)
	if err != nil {
		return 0, err
	}
	loss := 0.0
	dz3 := make([]float64, B)
	for b := range B {
		z := n.B3[0]
		for k := range H {
			z += n.W3[k] * h2[b*H+k]
		}
		// BCE with logits: log(1+e^z) - y z, stable form.
		loss += math.Max(z, 0) - y[b]*z + math.Log1p(math.Exp(-math.Abs(z)))
		dz3[b] = (sigmoid(z) - y[b]) / float64(B)
	}
	loss /= float64(B)
	if grads == nil {
		return loss, nil
	}
	gW1, gB1, gW2, gB2, gW3, gB3 := grads[0], grads[1], grads[2], grads[3], grads[4], grads[5]
	for _, g := range grads {
		clear(g)
	}
	dh2 := make([]float64, B*H)
	for b := range B {
		gB3[0] += dz3[b]
		for k := range H {
			gW3[k] += dz3[b] * h2[b*H+k]
			dh2[b*H+k] = dz3[b] * n.W3[k]
		}
	}
	if err := d.backward(dh2, nil, cfg2, H); err != nil { // regenerates mask 2
		return 0, err
	}
	reluBack(dh2, z2)
	dh1 := make([]float64, B*H)
	for b := range B {
		hb := h1[b*H : (b+1)*H]
		db := dh1[b*H : (b+1)*H]
		for j := range H {
			g := dh2[b*H+j]
			if g == 0 {
				continue
			}
			gB2[j] += g
			w := n.W2[j*H : (j+1)*H]
			gw := gW2[j*H : (j+1)*H]
			for k := range H {
				gw[k] += g * hb[k]
				db[k] += g * w[k]
			}
		}
	}
	if err := d.backward(dh1, mask1, cfg1, H); err != nil { // stored mask 1
		return 0, err
	}
	reluBack(dh1, z1)
	for b := range B {
		for j := range H {
			g := dh1[b*H+j]
			gB1[j] += g
			gW1[j*2] += g * x[b][0]
			gW1[j*2+1] += g * x[b][1]
		}
	}
	return loss, nil
}

// forward applies dropout to a (B rows of rowLen) into a new slice.
func (d Dropout) forward(a []float64, mask []uint64, cfg dropout.Config, rowLen int) ([]float64, error) {
	out := make([]float64, len(a))
	var err error
	switch d.Mode {
	case NoDropout:
		copy(out, a)
	case Expected:
		_, err = dropout.Forward(out, a, mask, cfg)
	case Exact:
		_, err = scaling.ForwardExact(out, a, mask, cfg, rowLen)
	}
	return out, err
}

// backward replaces g by the gradient through the dropout (in place).
func (d Dropout) backward(g []float64, mask []uint64, cfg dropout.Config, rowLen int) error {
	switch d.Mode {
	case Expected:
		return dropout.Backward(g, g, mask, cfg)
	case Exact:
		return scaling.BackwardExact(g, g, mask, cfg, rowLen)
	}
	return nil
}

func relu(z []float64) []float64 {
	a := make([]float64, len(z))
	for i, v := range z {
		if v > 0 {
			a[i] = v
		}
	}
	return a
}

func reluBack(g, z []float64) {
	for i, v := range z {
		if v <= 0 {
			g[i] = 0
		}
	}
}

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

// Accuracy returns the fraction of the batch classified correctly (no dropout).
func (n *Net) Accuracy(x [][2]float64, y []float64) float64 {
	B, H := len(x), n.H
	correct := 0
	h1 := make([]float64, H)
	for b := range B {
		for j := range H {
			h1[j] = math.Max(0, n.B1[j]+n.W1[j*2]*x[b][0]+n.W1[j*2+1]*x[b][1])
		}
		z := n.B3[0]
		for j := range H {
			s := n.B2[j]
			for k := range H {
				s += n.W2[j*H+k] * h1[k]
			}
			z += n.W3[j] * math.Max(0, s)
		}
		if (z > 0) == (y[b] == 1) {
			correct++
		}
	}
	return float64(correct) / float64(B)
}

// Config of one training run.
type Config struct {
	Hidden   int
	Train    int // training samples
	Test     int // held-out samples
	Noise    float64
	Steps    int // full-batch Adam steps
	LR       float64
	Keep     float64
	Mode     Mode
	Seed     uint64 // data, initialisation and masks
	DataSeed uint64 // if nonzero, the data's seed instead of Seed
}

// Result of one training run; losses and accuracy are measured without dropout.
type Result struct {
	TrainLoss, TestLoss, TestAcc float64
	FirstLoss                    float64 // training loss (with dropout) of the first step
	LastLoss                     float64 // training loss (with dropout) of the last step
}

// Train trains a network and evaluates it.
func Train(c Config) (Result, error) {
	if c.Mode != NoDropout && !(c.Keep > 0 && c.Keep <= 1) {
		return Result{}, fmt.Errorf("keep=%v is not in (0, 1]", c.Keep)
	}
	ds := c.DataSeed
	if ds == 0 {
		ds = c.Seed
	}
	drng := rand.New(rand.NewPCG(ds, 1))
	xtr, ytr := TwoMoons(c.Train, c.Noise, drng)
	xte, yte := TwoMoons(c.Test, c.Noise, drng)
	net := NewNet(c.Hidden, rand.New(rand.NewPCG(c.Seed, 2)))
	params := net.Params()
	grads, m, v := shaped(params), shaped(params), shaped(params)
	const b1, b2, eps = 0.9, 0.999, 1e-8
	var res Result
	for step := 1; step <= c.Steps; step++ {
		d := Dropout{Mode: c.Mode, Keep: c.Keep, Seed: c.Seed<<24 ^ uint64(step)}
		loss, err := net.LossGrad(xtr, ytr, d, grads)
		if err != nil {
			return res, err
		}
		if step == 1 {
			res.FirstLoss = loss
		}
		res.LastLoss = loss
		c1 := 1 - math.Pow(b1, float64(step))
		c2 := 1 - math.Pow(b2, float64(step))
		for i, p := range params {
			for j := range p {
				g := grads[i][j]
				m[i][j] = b1*m[i][j] + (1-b1)*g
				v[i][j] = b2*v[i][j] + (1-b2)*g*g
				p[j] -= c.LR * (m[i][j] / c1) / (math.Sqrt(v[i][j]/c2) + eps)
			}
		}
	}
	none := Dropout{Mode: NoDropout}
	res.TrainLoss, _ = net.LossGrad(xtr, ytr, none, nil)
	res.TestLoss, _ = net.LossGrad(xte, yte, none, nil)
	res.TestAcc = net.Accuracy(xte, yte)
	return res, nil
}

func shaped(ps [][]float64) [][]float64 {
	out := make([][]float64, len(ps))
	for i, p := range ps {
		out[i] = make([]float64, len(p))
	}
	return out
}

package mlp

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The gradient of the whole network, through both dropout layers (one with
// a stored mask, one regenerated), matches central finite differences: with
// a fixed Dropout.Seed the masks are fixed, so the loss is a deterministic
// function of the weights.
func TestGradientNumerically(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	x, y := TwoMoons(12, 0.2, rng)
	for _, mode := range []Mode{NoDropout, Expected, Exact} {
		net := NewNet(10, rand.New(rand.NewPCG(6, 6)))
		// Nonzero biases: with zero biases a sample whose hidden row is all
		// zero (dropped or ReLU-off) sits exactly on the next ReLU's kink.
		for _, b := range [][]float64{net.B1, net.B2, net.B3} {
			for j := range b {
				b[j] = 0.1 * rng.NormFloat64()
			}
		}
		d := Dropout{Mode: mode, Keep: 0.6, Seed: 77}
		params := net.Params()
		grads := shaped(params)
		if _, err := net.LossGrad(x, y, d, grads); err != nil {
			t.Fatal(err)
		}
		const h = 1e-6
		checked := 0
		for i, p := range params {
			for j := range p {
				old := p[j]
				p[j] = old + h
				lp, _ := net.LossGrad(x, y, d, nil)
				p[j] = old - h
				lm, _ := net.LossGrad(x, y, d, nil)
				p[j] = old
				num := (lp - lm) / (2 * h)
				if math.Abs(num-grads[i][j]) > 1e-6+1e-4*math.Abs(num) {
					t.Errorf("%v: param %d[%d]: analytic %.9g, numeric %.9g", mode, i, j, grads[i][j], num)
				}
				checked++
			}
		}
		// dropout must change the loss (the layers are really active)
		l0, _ := net.LossGrad(x, y, Dropout{Mode: NoDropout}, nil)
		l1, _ := net.LossGrad(x, y, d, nil)
		if (mode == NoDropout) != (l0 == l1) {
			t.Errorf("%v: loss without dropout %v, with %v", mode, l0, l1)
		}
		t.Logf("%v: %d parameters checked", mode, checked)
	}
}

// Training a tiny configuration lowers the loss and classifies the held-out
// set better than chance, in every mode.
func TestTrainingLearns(t *testing.T) {
	for _, mode := range []Mode{NoDropout, Expected, Exact} {
		r, err := Train(Config{Hidden: 16, Train: 40, Test: 400, Noise: 0.1, Steps: 300, LR: 0.01, Keep: 0.8, Mode: mode, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%v: %+v", mode, r)
		if !(r.TrainLoss < 0.5*r.FirstLoss) {
			t.Errorf("%v: training loss %.4f, first step %.4f: did not halve", mode, r.TrainLoss, r.FirstLoss)
		}
		if r.TestAcc < 0.85 {
			t.Errorf("%v: held-out accuracy %.3f < 0.85", mode, r.TestAcc)
		}
	}
}

// Same seed, same result: the runs are deterministic.
func TestDeterministic(t *testing.T) {
	c := Config{Hidden: 8, Train: 20, Test: 50, Noise: 0.2, Steps: 30, LR: 0.01, Keep: 0.5, Mode: Exact, Seed: 4}
	a, _ := Train(c)
	b, _ := Train(c)
	if a != b {
		t.Errorf("two runs differ: %+v %+v", a, b)
	}
}

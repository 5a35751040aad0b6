package dropout

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestKeptCountIsBinomial: over 2^24 elements the kept count lies within 6
// standard deviations of n*EffectiveKeep.
func TestKeptCountIsBinomial(t *testing.T) {
	n := 1 << 24
	if testing.Short() {
		n = 1 << 20
	}
	mask := make([]uint64, Words(n))
	forEachImpl(t, func(t *testing.T) {
		for _, keep := range []float64{1e-6, 0.1, 0.5, 0.8, 0.9, 0.99} {
			kept, err := GenerateMask(mask, n, Config{Keep: keep, Seed: 12345, Offset: 77})
			if err != nil {
				t.Fatal(err)
			}
			p := EffectiveKeep(keep)
			mean, sd := float64(n)*p, math.Sqrt(float64(n)*p*(1-p))
			if z := (float64(kept) - mean) / sd; math.Abs(z) > 6 {
				t.Errorf("keep %v: kept %d of %d, expected %.0f ± %.0f (z = %.1f)", keep, kept, n, mean, sd, z)
			}
		}
	})
}

// TestExpectationPreserved is the discussion's np.mean(r*y/keep) example
// done properly: with y ~ N(1, 0.1), mean(dropout(y)) equals mean(y) within
// the standard error of the difference, while mean(r*y) is off by a factor keep.
func TestExpectationPreserved(t *testing.T) {
	n := 1 << 22
	if testing.Short() {
		n = 1 << 18
	}
	rng := rand.New(rand.NewPCG(9, 10))
	y := make([]float64, n)
	for i := range y {
		y[i] = 1 + 0.1*rng.NormFloat64()
	}
	out := make([]float64, n)
	for _, keep := range []float64{0.5, 0.9, 0.3} {
		if _, err := Forward(out, y, nil, Config{Keep: keep, Seed: 99}); err != nil {
			t.Fatal(err)
		}
		var sumY, sumD, sumD2 float64
		for i := range y {
			d := out[i] - y[i]
			sumY += y[i]
			sumD += d
			sumD2 += d * d
		}
		meanD := sumD / float64(n)
		se := math.Sqrt((sumD2/float64(n) - meanD*meanD) / float64(n))
		if math.Abs(meanD) > 6*se {
			t.Errorf("keep %v: mean(out)-mean(y) = %.3g, standard error %.3g", keep, meanD, se)
		}
		// Without the scale the mean would be EffectiveKeep*mean(y), which
		// the test must be able to tell apart.
		meanY := sumY / float64(n)
		unscaled := EffectiveKeep(keep) * (sumY + sumD) / float64(n)
		if math.Abs(unscaled-meanY) < 6*se {
			t.Errorf("keep %v: the test cannot tell scaled from unscaled output", keep)
		}
	}
}

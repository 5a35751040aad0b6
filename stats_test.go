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

// TestExactCompensationTradeoff measures what ForwardExact changes compared
// with Forward, on rows of constant activations (so a row's sum ratio is
// its kept fraction, rescaled): the spread of sum(y)/sum(x) per row shrinks
// (to zero here, except for rows with nothing kept), and E[y] gets a bias
// for short rows, E[y]/x = q*E[n/(1+Bin(n-1, q))], from rows whose survivors
// cannot stand in for an all-dropped row. The README quotes the logged
// numbers.
func TestExactCompensationTradeoff(t *testing.T) {
	rows := 1 << 16
	if testing.Short() {
		rows = 1 << 13
	}
	for _, c := range []struct {
		rowLen int
		keep   float64
	}{{4, 0.5}, {16, 0.5}, {64, 0.9}, {1024, 0.9}} {
		n := rows * c.rowLen / max(1, c.rowLen/64)
		n -= n % c.rowLen
		x := make([]float64, n)
		for i := range x {
			x[i] = 1
		}
		plain, exact := make([]float64, n), make([]float64, n)
		cfg := Config{Keep: c.keep, Seed: uint64(c.rowLen)}
		if _, err := Forward(plain, x, nil, cfg); err != nil {
			t.Fatal(err)
		}
		if _, err := ForwardExact(exact, x, nil, cfg, c.rowLen); err != nil {
			t.Fatal(err)
		}
		sdPlain, meanPlain := rowRatioStats(plain, c.rowLen)
		sdExact, meanExact := rowRatioStats(exact, c.rowLen)
		// The theoretical mean of an exact row's ratio: P(k >= 1).
		q := EffectiveKeep(c.keep)
		theory := 1 - math.Pow(1-q, float64(c.rowLen))
		se := math.Sqrt(theory * (1 - theory) / float64(n/c.rowLen))
		t.Logf("rowLen %4d keep %.1f: sd of row sum ratio %.4f (Forward) -> %.4f (ForwardExact); mean %.5f -> %.5f (theory %.5f)",
			c.rowLen, c.keep, sdPlain, sdExact, meanPlain, meanExact, theory)
		if !(sdExact < sdPlain/2) {
			t.Errorf("rowLen %d: exact compensation did not shrink the spread (%v vs %v)", c.rowLen, sdExact, sdPlain)
		}
		if math.Abs(meanExact-theory) > 6*se+1e-12 {
			t.Errorf("rowLen %d: exact mean ratio %v, theory %v ± %v", c.rowLen, meanExact, theory, se)
		}
		if c.rowLen == 4 && !(theory < 0.95) {
			t.Errorf("rowLen 4 should show a bias")
		}
	}
}

// rowRatioStats returns the standard deviation and mean of sum(y) per row
// divided by rowLen (the inputs are all 1).
func rowRatioStats(y []float64, rowLen int) (sd, mean float64) {
	var s, s2 float64
	rows := len(y) / rowLen
	for r := 0; r < rows; r++ {
		sum := 0.0
		for _, v := range y[r*rowLen : (r+1)*rowLen] {
			sum += v
		}
		ratio := sum / float64(rowLen)
		s += ratio
		s2 += ratio * ratio
	}
	mean = s / float64(rows)
	return math.Sqrt(max(0, s2/float64(rows)-mean*mean)), mean
}

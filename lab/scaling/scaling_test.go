package scaling

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/gokernels/dropout"
)

// The worked example of the discussion the package grew from:
//
//	m = 1000; keep_prob = 0.5
//	r = np.random.binomial(1, keep_prob, m); y = np.random.normal(1, 0.1, m)
//	np.mean(y) ≈ 1.0, np.mean(r*y) ≈ 0.5, np.mean(r*y/keep_prob) ≈ 1.0
//
// with r the package's mask. Each mean is checked against its expectation
// within 5 standard errors computed from the distributions (not from
// recorded outputs), for several seeds.
func TestWorkedExample(t *testing.T) {
	const (
		m     = 1000
		keep  = 0.5
		mu    = 1.0
		sigma = 0.1
	)
	ey2 := mu*mu + sigma*sigma // E[y^2]
	seMeanY := sigma / math.Sqrt(m)
	seMeanRY := math.Sqrt((keep*ey2 - keep*keep*mu*mu) / m) // Var(r*y) = keep E[y^2] - (keep mu)^2
	seMeanRYk := math.Sqrt((ey2/keep - mu*mu) / m)          // Var(r*y/keep) = E[y^2]/keep - mu^2
	for seed := uint64(1); seed <= 5; seed++ {
		rng := rand.New(rand.NewPCG(seed, 7))
		y := make([]float64, m)
		for i := range y {
			y[i] = mu + sigma*rng.NormFloat64()
		}
		mask := make([]uint64, dropout.Words(m))
		cfg := dropout.Config{Keep: keep, Seed: seed}
		ry := make([]float64, m)
		if _, err := dropout.GenerateMask(mask, m, cfg); err != nil {
			t.Fatal(err)
		}
		if err := dropout.Apply(ry, y, mask, 1); err != nil { // r*y
			t.Fatal(err)
		}
		ryk := make([]float64, m)
		if _, err := dropout.Forward(ryk, y, nil, cfg); err != nil { // r*y/keep
			t.Fatal(err)
		}
		for _, c := range []struct {
			name     string
			v        []float64
			want, se float64
		}{
			{"mean(y)", y, mu, seMeanY},
			{"mean(r*y)", ry, keep * mu, seMeanRY},
			{"mean(r*y/keep)", ryk, mu, seMeanRYk},
		} {
			got, _ := MeanSD(c.v)
			if math.Abs(got-c.want) > 5*c.se {
				t.Errorf("seed %d: %s = %.5f, want %.3f ± %.5f (5 standard errors)", seed, c.name, got, c.want, 5*c.se)
			}
			t.Logf("seed %d: %-15s = %.5f (expected %.3f, SE %.5f)", seed, c.name, got, c.want, c.se)
		}
	}
}

// The lab's sum ratio has expectation 1 under the expected scaling, for
// every distribution; the exact scaling has no variance from the kept count
// and so a smaller spread for the near-constant "normal" activations.
func TestRunMeansAndSpread(t *testing.T) {
	for _, dist := range Distributions {
		r, err := Run(Params{N: 256, Keep: 0.5, Trials: 2000, Dist: dist, TopK: 2, Seed: 3}, "both")
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range r.Modes {
			se := m.SD / math.Sqrt(float64(r.Trials))
			if math.Abs(m.Mean-1) > 5*se+1e-12 {
				t.Errorf("%s/%s: mean ratio %.5f, want 1 ± %.5f", dist, m.Mode, m.Mean, 5*se)
			}
			if !(m.Q01 <= m.Q50 && m.Q50 <= m.Q99) {
				t.Errorf("%s/%s: quantiles out of order: %v %v %v", dist, m.Mode, m.Q01, m.Q50, m.Q99)
			}
		}
		// P(both of the top 2 dropped) = (1-keep)^2 = 0.25: binomial SE.
		p := 0.25
		se := math.Sqrt(p * (1 - p) / float64(r.Trials))
		if f := float64(r.Modes[0].TopKAllDropped) / float64(r.Trials); math.Abs(f-p) > 5*se {
			t.Errorf("%s: top-2 all dropped in %.4f of trials, want %.2f ± %.4f", dist, f, p, 5*se)
		}
		if r.Modes[0].TopKAllDropped != r.Modes[1].TopKAllDropped {
			t.Errorf("%s: modes use different masks", dist)
		}
		if dist == "normal" && !(r.Modes[1].SD < r.Modes[0].SD/3) {
			t.Errorf("normal: exact sd %.5f not well below expected sd %.5f", r.Modes[1].SD, r.Modes[0].SD)
		}
	}
}

// The exact path keeps the mask of Forward and scales row r by rowLen/k_r.
func TestForwardExactMatchesDefinition(t *testing.T) {
	for _, rowLen := range []int{1, 7, 64, 100} {
		n := rowLen * 5
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(i%13) - 6.5
		}
		cfg := dropout.Config{Keep: 0.6, Seed: 9, Offset: 33}
		want := make([]uint64, dropout.Words(n))
		keptWant, _ := dropout.GenerateMask(want, n, cfg)
		y := make([]float32, n)
		mask := make([]uint64, dropout.Words(n))
		kept, err := ForwardExact(y, x, mask, cfg, rowLen)
		if err != nil {
			t.Fatal(err)
		}
		if kept != keptWant {
			t.Fatalf("rowLen %d: kept %d, want %d", rowLen, kept, keptWant)
		}
		for w := range want {
			if mask[w] != want[w] {
				t.Fatalf("rowLen %d: mask word %d differs", rowLen, w)
			}
		}
		dx := make([]float32, n)
		if err := BackwardExact(dx, x, nil, cfg, rowLen); err != nil {
			t.Fatal(err)
		}
		for r := 0; r < n/rowLen; r++ {
			k := 0
			for i := r * rowLen; i < (r+1)*rowLen; i++ {
				k += int(want[i/64] >> (i % 64) & 1)
			}
			for i := r * rowLen; i < (r+1)*rowLen; i++ {
				var e float32
				if want[i/64]>>(i%64)&1 == 1 {
					e = x[i] * float32(float64(rowLen)/float64(k))
				}
				if math.Float32bits(y[i]) != math.Float32bits(e) || math.Float32bits(dx[i]) != math.Float32bits(e) {
					t.Fatalf("rowLen %d elem %d: y=%v dx=%v want %v", rowLen, i, y[i], dx[i], e)
				}
			}
		}
	}
	if _, err := ForwardExact(make([]float64, 10), make([]float64, 10), nil, dropout.Config{Keep: 0.5}, 3); err == nil {
		t.Error("rowLen 3 with n=10: no error")
	}
}

func TestPlotWritesImage(t *testing.T) {
	r, err := Run(Params{N: 100, Keep: 0.5, Trials: 200, Dist: "spiky", TopK: 2, Seed: 1}, "both")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "h.png")
	if err := Plot(r, path, 40); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path); err != nil || st.Size() < 1000 {
		t.Fatalf("image not written: %v %v", st, err)
	}
}

// The library's ForwardExact/BackwardExact and the lab's construction from
// the public kernels agree bit for bit.
func TestLibraryExactMatchesLab(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 11))
	for _, rowLen := range []int{1, 3, 32, 64, 65, 200} {
		for _, keep := range []float64{0.1, 0.5, 0.9, 1} {
			n := rowLen * 7
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			cfg := dropout.Config{Keep: keep, Seed: rng.Uint64(), Offset: uint64(rng.IntN(100))}
			a, b := make([]float32, n), make([]float32, n)
			ma, mb := make([]uint64, dropout.Words(n)), make([]uint64, dropout.Words(n))
			ka, err := dropout.ForwardExact(a, x, ma, cfg, rowLen)
			if err != nil {
				t.Fatal(err)
			}
			kb, _ := LabForwardExact(b, x, mb, cfg, rowLen)
			ga, gb := make([]float32, n), make([]float32, n)
			if err := dropout.BackwardExact(ga, x, nil, cfg, rowLen); err != nil {
				t.Fatal(err)
			}
			_ = LabBackwardExact(gb, x, mb, cfg, rowLen)
			if ka != kb {
				t.Fatalf("rowLen %d keep %v: kept %d vs %d", rowLen, keep, ka, kb)
			}
			for i := range a {
				if math.Float32bits(a[i]) != math.Float32bits(b[i]) || math.Float32bits(ga[i]) != math.Float32bits(gb[i]) {
					t.Fatalf("rowLen %d keep %v elem %d: library %v/%v, lab %v/%v", rowLen, keep, i, a[i], ga[i], b[i], gb[i])
				}
			}
		}
	}
}

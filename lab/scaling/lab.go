// Package scaling measures what inverted dropout's scaling does to a layer's
// activations: with the expected scaling 1/keep (dropout.Forward) and with
// the exact scaling n/k by the number k of kept elements (ForwardExact).
package scaling

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"

	"github.com/gokernels/dropout"
)

// Distributions the lab draws activations from.
var Distributions = []string{"normal", "relu", "lognormal", "spiky"}

// Activations draws n activations of distribution dist from a generator
// seeded by seed:
//
//	normal:    N(1, 0.1), the discussion's worked example
//	relu:      max(0, N(0, 1))
//	lognormal: exp(N(0, 1)), a heavy right tail
//	spiky:     N(1, 0.1), except spikes elements that are ten times larger
//	           (as 14.1 and 13.1 among values near 1 in the original question)
func Activations(dist string, n, spikes int, seed uint64) ([]float64, error) {
	rng := rand.New(rand.NewPCG(seed, 0x5ca1e))
	x := make([]float64, n)
	switch dist {
	case "normal":
		for i := range x {
			x[i] = 1 + 0.1*rng.NormFloat64()
		}
	case "relu":
		for i := range x {
			x[i] = math.Max(0, rng.NormFloat64())
		}
	case "lognormal":
		for i := range x {
			x[i] = math.Exp(rng.NormFloat64())
		}
	case "spiky":
		for i := range x {
			x[i] = 1 + 0.1*rng.NormFloat64()
		}
		if spikes > n {
			spikes = n
		}
		for _, i := range rng.Perm(n)[:spikes] {
			x[i] *= 10
		}
	default:
		return nil, fmt.Errorf("unknown distribution %q (want one of %v)", dist, Distributions)
	}
	return x, nil
}

// Params of one lab run.
type Params struct {
	N      int     // layer width
	Keep   float64 // requested keep probability
	Trials int     // masks drawn (one Seed each)
	Dist   string  // activation distribution
	TopK   int     // how many of the largest activations "all dropped" watches; also the spike count of "spiky"
	Seed   uint64  // seeds the activations and the masks
}

// Summary of one scaling mode over the trials.
type Summary struct {
	Mode            string
	Ratios          []float64 // sum(y)/sum(x), one per trial
	Mean, SD        float64   // of Ratios
	Q01, Q50, Q99   float64   // quantiles of Ratios
	Bias            float64   // mean of y_i - x_i over trials and elements
	TopKAllDropped  int       // trials in which all TopK largest activations were dropped
	RatioAllDropped float64   // mean of Ratios over those trials (NaN if none)
}

// Result of a lab run.
type Result struct {
	Params
	X             []float64 // the activations (the same in every trial)
	EffectiveKeep float64   // dropout.EffectiveKeep(Keep) = T/2^32
	KeptFraction  float64   // kept elements / (N * Trials), observed
	Modes         []Summary // "expected", "exact" as requested
}

// Run draws one activation vector and Trials masks (Config.Seed = Seed+1+t)
// and measures each mode ("expected", "exact" or "both").
func Run(p Params, mode string) (*Result, error) {
	if p.N <= 0 || p.Trials <= 0 {
		return nil, fmt.Errorf("need n > 0 and trials > 0, have n=%d trials=%d", p.N, p.Trials)
	}
	if !(p.Keep > 0 && p.Keep <= 1) {
		return nil, fmt.Errorf("keep=%v is not in (0, 1]", p.Keep)
	}
	var modes []string
	switch mode {
	case "expected", "exact":
		modes = []string{mode}
	case "both":
		modes = []string{"expected", "exact"}
	default:
		return nil, fmt.Errorf("unknown mode %q (want expected, exact or both)", mode)
	}
	x, err := Activations(p.Dist, p.N, p.TopK, p.Seed)
	if err != nil {
		return nil, err
	}
	top := topIndices(x, p.TopK)
	sumX := 0.0
	for _, v := range x {
		sumX += v
	}
	res := &Result{Params: p, X: x, EffectiveKeep: dropout.EffectiveKeep(p.Keep)}
	y := make([]float64, p.N)
	mask := make([]uint64, dropout.Words(p.N))
	keptTotal := 0
	for mi, m := range modes {
		s := Summary{Mode: m, Ratios: make([]float64, p.Trials)}
		biasSum := 0.0
		for t := 0; t < p.Trials; t++ {
			cfg := dropout.Config{Keep: p.Keep, Seed: p.Seed + 1 + uint64(t)}
			var kept int
			if m == "expected" {
				kept, err = dropout.Forward(y, x, mask, cfg)
			} else {
				kept, err = ForwardExact(y, x, mask, cfg, p.N)
			}
			if err != nil {
				return nil, err
			}
			if mi == 0 {
				keptTotal += kept
			}
			sumY := 0.0
			for i, v := range y {
				sumY += v
				biasSum += v - x[i]
			}
			s.Ratios[t] = sumY / sumX
			if len(top) > 0 && allDropped(mask, top) {
				s.TopKAllDropped++
				s.RatioAllDropped += s.Ratios[t]
			}
		}
		s.RatioAllDropped /= float64(s.TopKAllDropped) // NaN when 0/0
		s.Bias = biasSum / float64(p.Trials*p.N)
		s.Mean, s.SD = MeanSD(s.Ratios)
		sorted := slices.Clone(s.Ratios)
		sort.Float64s(sorted)
		s.Q01, s.Q50, s.Q99 = Quantile(sorted, 0.01), Quantile(sorted, 0.5), Quantile(sorted, 0.99)
		res.Modes = append(res.Modes, s)
	}
	res.KeptFraction = float64(keptTotal) / float64(p.N*p.Trials)
	return res, nil
}

func topIndices(x []float64, k int) []int {
	if k <= 0 {
		return nil
	}
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return x[idx[a]] > x[idx[b]] })
	return idx[:min(k, len(x))]
}

func allDropped(mask []uint64, idx []int) bool {
	for _, i := range idx {
		if mask[i/64]>>(i%64)&1 != 0 {
			return false
		}
	}
	return true
}

// MeanSD returns the mean and the sample standard deviation of v.
func MeanSD(v []float64) (mean, sd float64) {
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	if len(v) < 2 {
		return mean, 0
	}
	for _, x := range v {
		sd += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(sd / float64(len(v)-1))
}

// Quantile returns the q-quantile of sorted values (linear interpolation).
func Quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	pos := q * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(sorted)-1)
	return sorted[lo] + (pos-float64(lo))*(sorted[hi]-sorted[lo])
}

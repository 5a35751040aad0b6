// Command dropoutlab measures how well inverted dropout's scaling makes up
// for the activations it drops: the sum of a layer after dropout divided by
// the sum before, over many masks, with the expected scaling 1/keep
// (dropout.Forward) and the exact scaling n/k (ForwardExact).
//
//	go run ./cmd/dropoutlab -n 1000 -keep 0.5 -dist normal -o ratio.png
package main

import (
	"flag"
	"fmt"
	"math"
	"os"

	"github.com/gokernels/dropout"
	"github.com/gokernels/dropout/lab/scaling"
)

func main() {
	var (
		n      = flag.Int("n", 1000, "layer width (activations per row)")
		keep   = flag.Float64("keep", 0.5, "keep probability (1 - dropout rate)")
		trials = flag.Int("trials", 10000, "masks drawn")
		dist   = flag.String("dist", "normal", "activation distribution: normal (N(1,0.1)), relu (max(0,N(0,1))), lognormal (exp(N(0,1))), spiky (N(1,0.1) with -topk values 10x larger)")
		mode   = flag.String("mode", "both", "scaling: expected (1/keep), exact (n/kept), both")
		topk   = flag.Int("topk", 2, "watch whether all of the topk largest activations are dropped at once; also the number of spikes of -dist spiky")
		seed   = flag.Uint64("seed", 1, "seed of the activations and the masks")
		out    = flag.String("o", "dropoutlab.png", "output image (.png or .svg); empty: none")
		bins   = flag.Int("bins", 60, "histogram bins")
	)
	flag.Parse()
	r, err := scaling.Run(scaling.Params{N: *n, Keep: *keep, Trials: *trials, Dist: *dist, TopK: *topk, Seed: *seed}, *mode)
	if err != nil {
		fmt.Fprintln(os.Stderr, "dropoutlab:", err)
		os.Exit(2)
	}
	xm, xsd := scaling.MeanSD(r.X)
	xmax := math.Inf(-1)
	for _, v := range r.X {
		xmax = math.Max(xmax, v)
	}
	fmt.Printf("activations: %s, n=%d, mean %.4f, sd %.4f, max %.4f; keep=%g, %d trials, seed %d, kernels %s, exact path: %s\n",
		r.Dist, r.N, xm, xsd, xmax, r.Keep, r.Trials, r.Seed, dropout.Impl(), scaling.ExactImpl)
	fmt.Printf("keep: requested %.17g, effective T/2^32 = %.17g (difference %.3g), observed kept fraction %.5f\n",
		r.Keep, r.EffectiveKeep, r.EffectiveKeep-r.Keep, r.KeptFraction)
	fmt.Printf("P(all top-%d dropped at once): expected (1-keep)^%d = %.5f\n\n", r.TopK, r.TopK, math.Pow(1-r.EffectiveKeep, float64(r.TopK)))
	fmt.Printf("%-9s %9s %9s %9s %9s %9s %12s %26s %10s\n", "scaling", "mean", "sd", "q01", "q50", "q99", "bias(y-x)", "top-k all dropped", "ratio then")
	for _, m := range r.Modes {
		fmt.Printf("%-9s %9.5f %9.5f %9.5f %9.5f %9.5f %12.3g %8d (%.4f) %10.5f\n", m.Mode, m.Mean, m.SD, m.Q01, m.Q50, m.Q99,
			m.Bias, m.TopKAllDropped, float64(m.TopKAllDropped)/float64(r.Trials), m.RatioAllDropped)
	}
	fmt.Println("\n(columns mean..q99: sum(y)/sum(x) over the trials; bias: mean of y_i - x_i over trials and elements;\n ratio then: mean sum(y)/sum(x) over the trials in which all top-k were dropped)")
	if *out != "" {
		if err := scaling.Plot(r, *out, *bins); err != nil {
			fmt.Fprintln(os.Stderr, "dropoutlab:", err)
			os.Exit(1)
		}
		fmt.Println("wrote", *out)
	}
}

// Command dropouttrain trains a small MLP on two-moons with few training
// samples, without dropout and with dropout using the expected (1/keep) and
// the exact (H/k per sample) scaling, over several seeds, and prints the
// final training loss, held-out loss and accuracy (mean ± sd over seeds).
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/gokernels/dropout"
	"github.com/gokernels/dropout/lab/mlp"
	"github.com/gokernels/dropout/lab/scaling"
)

func main() {
	c := mlp.Config{}
	seeds := flag.Int("seeds", 10, "training runs per mode (seeds 1..seeds: data, init and masks)")
	flag.IntVar(&c.Hidden, "hidden", 64, "width of the two hidden layers")
	flag.IntVar(&c.Train, "train", 40, "training samples")
	flag.IntVar(&c.Test, "test", 2000, "held-out samples")
	flag.Float64Var(&c.Noise, "noise", 0.3, "two-moons noise")
	flag.IntVar(&c.Steps, "steps", 1500, "full-batch Adam steps")
	flag.Float64Var(&c.LR, "lr", 0.01, "Adam learning rate")
	flag.Float64Var(&c.Keep, "keep", 0.5, "keep probability of both dropout layers")
	flag.Parse()
	start := time.Now()
	fmt.Printf("two moons, noise %g, %d training / %d held-out samples; MLP 2-%d-%d-1 (ReLU, dropout keep %g after each hidden layer), %d full-batch Adam steps, lr %g; %d seeds; kernels %s, exact path: %s\n\n",
		c.Noise, c.Train, c.Test, c.Hidden, c.Hidden, c.Keep, c.Steps, c.LR, *seeds, dropout.Impl(), scaling.ExactImpl)
	fmt.Printf("%-17s %-19s %-19s %-19s\n", "mode", "train loss", "held-out loss", "held-out accuracy")
	for _, mode := range []mlp.Mode{mlp.NoDropout, mlp.Expected, mlp.Exact} {
		var tr, te, acc []float64
		for s := 1; s <= *seeds; s++ {
			cc := c
			cc.Mode, cc.Seed = mode, uint64(s)
			r, err := mlp.Train(cc)
			if err != nil {
				fmt.Fprintln(os.Stderr, "dropouttrain:", err)
				os.Exit(1)
			}
			tr, te, acc = append(tr, r.TrainLoss), append(te, r.TestLoss), append(acc, r.TestAcc)
		}
		fmt.Printf("%-17s %-19s %-19s %-19s\n", mode, pm(tr, 4), pm(te, 4), pm(acc, 4))
	}
	fmt.Printf("\n(mean ± sd over seeds; losses are binary cross-entropy without dropout; %.1fs)\n", time.Since(start).Seconds())
}

func pm(v []float64, prec int) string {
	m, sd := scaling.MeanSD(v)
	return fmt.Sprintf("%.*f ± %.*f", prec, m, prec, sd)
}

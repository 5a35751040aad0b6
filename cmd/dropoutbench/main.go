// Command dropoutbench measures the dropout kernels on this machine: for each
// operation, size and kernel set, the throughput, its ratio to copy of the
// same bytes (the memory limit) and to the per-element math/rand/v2 loop Go
// code uses today. Ratios are taken within one repetition (all variants of a
// size run back to back) and the medians over -count repetitions are shown.
//
//	go run ./cmd/dropoutbench [-sizes 4Ki,64Ki,1Mi,16Mi] [-keep 0.9] [-duration 200ms] [-count 5]
//	                          [-ops Forward,GenerateMask,Apply] [-types float32,float64]
package main

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gokernels/dropout"
	"github.com/gokernels/dropout/internal/benchcases"
	"github.com/klauspost/cpuid/v2"
)

func main() {
	testing.Init()
	sizes := flag.String("sizes", "4Ki,64Ki,1Mi,16Mi", "comma-separated element counts (Ki and Mi suffixes allowed)")
	keep := flag.Float64("keep", 0.9, "keep probability")
	duration := flag.Duration("duration", 200*time.Millisecond, "minimum time per measurement")
	count := flag.Int("count", 5, "repetitions; the medians are shown")
	ops := flag.String("ops", "Forward,GenerateMask,Apply", "operations to measure: "+strings.Join(benchcases.Ops, ","))
	types := flag.String("types", "float32,float64", "element types: "+strings.Join(benchcases.Types, ","))
	flag.Parse()

	ns, err := parseSizes(*sizes)
	if err != nil || *count < 1 || !(*keep > 0 && *keep <= 1) {
		fmt.Fprintln(os.Stderr, "dropoutbench: bad flags:", err)
		flag.Usage()
		os.Exit(2)
	}
	if err := flag.Set("test.benchtime", duration.String()); err != nil {
		panic(err)
	}

	fmt.Printf("CPU: %s (%d logical cores)\n", cpuid.CPU.BrandName, cpuid.CPU.LogicalCores)
	fmt.Printf("Features: %s\n", features())
	fmt.Printf("Kernels: %s in use; available: %s\n", dropout.Impl(), strings.Join(dropout.Implementations(), ", "))
	fmt.Printf("Keep %v, medians of %d runs of >= %v; GB/s = bytes of src per second (float32-equivalent for GenerateMask);\n", *keep, *count, *duration)
	fmt.Printf("ratios are of elements per second within each run, to copy of the same buffer and to the math/rand/v2 loop\n")

	impls := dropout.Implementations()
	for _, op := range strings.Split(*ops, ",") {
		for _, typ := range strings.Split(*types, ",") {
			if op == "GenerateMask" && typ != "float32" {
				continue
			}
			fmt.Printf("\n%s %s\n", op, typ)
			fmt.Printf("%-6s  %-24s %9s %8s %8s\n", "n", "variant", "GB/s", "x copy", "x naive")
			for _, n := range ns {
				measureSize(op, typ, n, *keep, *count, impls)
			}
		}
	}
}

// measureSize runs copy, the naive loop and every kernel set for one size,
// count times, and prints the medians.
func measureSize(op, typ string, n int, keep float64, count int, impls []string) {
	var cases []benchcases.Case
	for _, c := range benchcases.Cases("Baseline", []string{typ}, []int{n}, keep, nil) {
		if c.Variant != "naive-x-exp-rand" {
			cases = append(cases, c)
		}
	}
	naive := len(cases) > 1 // no naive loop for the 16-bit types
	if typ == "bfloat16" || typ == "float16" {
		// Compare with float32 Forward of the same n: elements per second.
		for _, c := range benchcases.Cases(op, []string{"float32"}, []int{n}, keep, impls[len(impls)-1:]) {
			c.Variant = "float32 " + c.Variant
			cases = append(cases, c)
		}
	}
	cases = append(cases, benchcases.Cases(op, []string{typ}, []int{n}, keep, impls)...)
	gbs := make([][]float64, len(cases)) // [case][run]
	for run := 0; run < count; run++ {
		for i, c := range cases {
			fmt.Fprintf(os.Stderr, "\r%-12s %s %s run %d/%d          ", op, c.Name(), "", run+1, count)
			r := testing.Benchmark(c.Run)
			gbs[i] = append(gbs[i], float64(c.Bytes)*float64(r.N)/float64(r.T.Nanoseconds()))
		}
	}
	fmt.Fprint(os.Stderr, "\r\033[K")
	for i, c := range cases {
		ratioCopy, ratioNaive := make([]float64, count), make([]float64, count)
		for run := range count {
			// Ratios of elements per second, so a float32 row compares
			// fairly with 16-bit copy.
			elems := gbs[i][run] / float64(c.Bytes)
			ratioCopy[run] = elems / (gbs[0][run] / float64(cases[0].Bytes))
			if naive {
				ratioNaive[run] = elems / (gbs[1][run] / float64(cases[1].Bytes))
			}
		}
		naiveCol := "       -"
		if naive {
			naiveCol = fmt.Sprintf("%8.1f", median(ratioNaive))
		}
		fmt.Printf("%-6s  %-24s %9.2f %8.2f %s\n", benchcases.SizeName(n), c.Variant, median(gbs[i]), median(ratioCopy), naiveCol)
	}
}

func median(x []float64) float64 {
	s := slices.Clone(x)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func parseSizes(s string) ([]int, error) {
	var ns []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		mul := 1
		switch {
		case strings.HasSuffix(f, "Ki"):
			f, mul = strings.TrimSuffix(f, "Ki"), 1<<10
		case strings.HasSuffix(f, "Mi"):
			f, mul = strings.TrimSuffix(f, "Mi"), 1<<20
		}
		v, err := strconv.Atoi(f)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("size %q", f)
		}
		ns = append(ns, v*mul)
	}
	return ns, nil
}

func features() string {
	var have []string
	for _, f := range []cpuid.FeatureID{cpuid.AVX512F, cpuid.AVX512BW, cpuid.AVX512VL, cpuid.AVX512DQ, cpuid.AVX512VBMI, cpuid.AVX512FP16, cpuid.AVX2, cpuid.BMI2, cpuid.FMA3, cpuid.POPCNT, cpuid.ASIMD} {
		if cpuid.CPU.Supports(f) {
			have = append(have, f.String())
		}
	}
	return strings.Join(have, " ")
}

package scaling

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

var modeColors = map[string]color.NRGBA{
	"expected": {R: 0x1f, G: 0x77, B: 0xb4, A: 0x90},
	"exact":    {R: 0xff, G: 0x7f, B: 0x0e, A: 0x90},
}

// Plot writes overlaid histograms of the sum ratio of every mode of r to
// path; the extension (.png, .svg, .pdf) picks the format.
func Plot(r *Result, path string, bins int) error {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, m := range r.Modes {
		for _, v := range m.Ratios {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if hi == lo {
		lo, hi = lo-0.5, hi+0.5
	}
	width := (hi - lo) / float64(bins)

	p := plot.New()
	p.Title.Text = fmt.Sprintf("sum(y)/sum(x): %s activations, n=%d, keep=%g, %d trials, top-%d watched",
		r.Dist, r.N, r.Keep, r.Trials, r.TopK)
	p.X.Label.Text = "sum(y) / sum(x)"
	p.Y.Label.Text = "trials"
	p.Legend.Top = true
	for _, m := range r.Modes {
		h := &plotter.Histogram{Bins: make([]plotter.HistogramBin, bins), Width: width,
			FillColor: modeColors[m.Mode], LineStyle: plotter.DefaultLineStyle}
		h.LineStyle.Width = vg.Points(0.3)
		for i := range h.Bins {
			h.Bins[i].Min = lo + float64(i)*width
			h.Bins[i].Max = lo + float64(i+1)*width
		}
		for _, v := range m.Ratios {
			i := min(int((v-lo)/width), bins-1)
			h.Bins[i].Weight++
		}
		p.Add(h)
		p.Legend.Add(fmt.Sprintf("%s scaling: mean %.4f, sd %.4f", m.Mode, m.Mean, m.SD), h)
	}
	p.Add(plotter.NewGrid())
	return p.Save(9*vg.Inch, 5*vg.Inch, path)
}

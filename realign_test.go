package dropout

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestRealignKernels calls the fused forwards of every set that realigns
// (kernels.realign) and of its streaming set directly, with every kind of
// plan shift: the unit words they leave in out and dst bit for bit against
// groupWord and scaleByBits, src unchanged, and guards around dst, src and
// out (which the kernels may write from out[-1] to roundUp(len(out), 16)).
func TestRealignKernels(t *testing.T) {
	var sets []*kernels
	for _, k := range testedKernels() {
		if k.realign {
			sets = append(sets, k)
			if k.stream != nil {
				sets = append(sets, k.stream)
			}
		}
	}
	if len(sets) == 0 {
		t.Skip("no kernel set of this CPU realigns")
	}
	t.Run("float32", func(t *testing.T) { realignKernels[float32](t, sets) })
	t.Run("float64", func(t *testing.T) { realignKernels[float64](t, sets) })
	t.Run("bfloat16", func(t *testing.T) { realignKernels[BFloat16](t, sets) })
	t.Run("float16", func(t *testing.T) { realignKernels[Float16](t, sets) })
}

func realignKernels[T Float](t *testing.T, sets []*kernels) {
	rng := rand.New(rand.NewPCG(61, 62))
	thresholds := []uint64{1, uint64(math.Round(0.9 * (1 << 32))), 1 << 31, 0xE7000000, 1<<32 - 1}
	for si, k := range sets {
		for _, g := range []int{1, 2, 15, 16, 17, 31, 32, 33, 48, 63, 64, 65, 100, 1000} {
			n := 32 * g
			padded16 := (g + groupPad - 1) &^ (groupPad - 1)
			for _, shift := range []int{1, 7, 16, 31} {
				// Groups first..first+g-1 share the counter's upper word.
				for _, first := range []uint64{1, 1 + rng.Uint64N(1<<40), 1<<32 - uint64(g)} {
					seed := rng.Uint64()
					p := newPhiloxPlan(seed, thresholds[rng.IntN(len(thresholds))])
					p.shift, p.shiftUp = uint32(shift), uint32(32-shift)
					scale := Scale(EffectiveKeep(0.5 + rng.Float64()/2))
					src := testInput[T](rng, n)
					wantWords := make([]uint32, g)
					want := make([]T, n)
					for i := range wantWords {
						h := first + uint64(i)
						w := groupWord(h-1, &p)>>shift | groupWord(h, &p)<<(32-shift)
						wantWords[i] = w
						scaleByBits(want[32*i:32*i+32], src[32*i:32*i+32], uint64(w), scale)
					}
					for _, place := range []string{"aligned", "lead 1", "in place"} {
						what := fmt.Sprintf("set %d (%s) g=%d shift=%d first=%#x seed=%#x dst %s", si, k.name, g, shift, first, seed, place)
						s, sbuf := guarded[T](n, 3)
						copy(s, src)
						d, dbuf, lead := s, sbuf, 3
						switch place {
						case "aligned":
							d, dbuf, lead = alignedGuarded[T](n)
						case "lead 1":
							d, dbuf = guarded[T](n, 1)
							lead = 1
						}
						obuf := make([]uint32, 3+1+padded16+5)
						for i := range obuf {
							obuf[i] = 0xDEADBEEF
						}
						obuf[3] = groupWord(first-1, &p)
						out := obuf[4 : 4+g : 4+padded16]

						callForward(k, d, s, out, first, &p, scale)

						for i, w := range wantWords {
							if got := obuf[3+i]; got != w {
								t.Fatalf("%s: unit word %d = %#08x, want %#08x", what, i, got, w)
							}
						}
						for i, w := range obuf {
							if (i < 3 || i >= 4+padded16) && w != 0xDEADBEEF {
								t.Fatalf("%s: guard word %d of out overwritten: %#x", what, i, w)
							}
						}
						checkSame(t, what, d, want)
						checkGuards(t, what, dbuf, lead, n)
						if place != "in place" {
							checkSame(t, what+" (src unchanged)", s, src)
							checkGuards(t, what+" (src)", sbuf, 3, n)
						}
					}
				}
			}
		}
	}
}

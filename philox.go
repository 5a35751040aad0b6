package dropout

import (
	"math"
	"math/bits"
)

// Philox4x32-10 constants (Salmon et al., "Parallel random numbers: as easy
// as 1, 2, 3", SC11; the Random123 reference implementation).
const (
	philoxM0 = 0xD2511F53
	philoxM1 = 0xCD9E8D57
	philoxW0 = 0x9E3779B9
	philoxW1 = 0xBB67AE85

	philoxRounds = 10
)

// philox4x32 is Philox4x32-10: it maps a 128-bit counter and a 64-bit key
// to 128 random bits.
func philox4x32(ctr [4]uint32, key [2]uint32) [4]uint32 {
	x0, x1, x2, x3 := ctr[0], ctr[1], ctr[2], ctr[3]
	k0, k1 := key[0], key[1]
	for r := 0; r < philoxRounds; r++ {
		hi0, lo0 := bits.Mul32(philoxM0, x0)
		hi1, lo1 := bits.Mul32(philoxM1, x2)
		x0, x1, x2, x3 = hi1^x1^k0, lo1, hi0^x3^k1, lo0
		k0 += philoxW0
		k1 += philoxW1
	}
	return [4]uint32{x0, x1, x2, x3}
}

// maxDepth is the number of random bits compared per element.
const maxDepth = 32

// threshold returns T = round(keep * 2^32), the integer an element's 32-bit
// random number must be below to be kept. keep must be in [0, 1].
func threshold(keep float64) uint64 {
	return uint64(math.Round(keep * (1 << 32)))
}

// philoxPlan holds what every kernel needs to generate mask v1 group words for
// one (Seed, Keep). Its layout is read by the assembly kernels: keep the field
// order and types in sync with the offsets documented there.
type philoxPlan struct {
	// roundKeys[2r], roundKeys[2r+1] is the Philox key used in round r.
	roundKeys [2 * philoxRounds]uint32 // offset 0
	// keepAt[d] is all ones if bit 31-d of T is 1 (an element whose random
	// bits match T down to depth d-1 and have a 0 at depth d is kept), else 0.
	keepAt [maxDepth]uint32 // offset 80
	// calls is the number of Philox calls (4 depths each) after which no
	// undecided element can still be kept: ceil((last 1 bit depth of T + 1)/4).
	calls uint64 // offset 208
	// shift, when not 0, asks the fused forwards of sets with realign set
	// (kernels.realign) for the mask words of a call whose elements start
	// shift bits into a group (driver.go, forwardRealigned); shiftUp is
	// 32-shift. The other kernels ignore both.
	shift   uint32 // offset 216
	shiftUp uint32 // offset 220
}

// newPhiloxPlan prepares the plan for seed and a threshold 0 < t < 2^32.
func newPhiloxPlan(seed uint64, t uint64) philoxPlan {
	var p philoxPlan
	k0, k1 := uint32(seed), uint32(seed>>32)
	for r := 0; r < philoxRounds; r++ {
		p.roundKeys[2*r], p.roundKeys[2*r+1] = k0, k1
		k0 += philoxW0
		k1 += philoxW1
	}
	for d := 0; d < maxDepth; d++ {
		if t>>(31-d)&1 == 1 {
			p.keepAt[d] = ^uint32(0)
		}
	}
	lastOne := 31 - bits.TrailingZeros32(uint32(t))
	p.calls = uint64(lastOne/4 + 1)
	return p
}

package dropout

import (
	"math/rand/v2"
	"testing"
)

// Random123's published known-answer vectors (kat_vectors, "philox4x32 10"):
// counter, key, expected output.
func TestPhiloxKnownAnswers(t *testing.T) {
	cases := []struct {
		ctr  [4]uint32
		key  [2]uint32
		want [4]uint32
	}{
		{[4]uint32{0, 0, 0, 0}, [2]uint32{0, 0},
			[4]uint32{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
		{[4]uint32{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, [2]uint32{0xffffffff, 0xffffffff},
			[4]uint32{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
		{[4]uint32{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, [2]uint32{0xa4093822, 0x299f31d0},
			[4]uint32{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
	}
	for _, c := range cases {
		if got := philox4x32(c.ctr, c.key); got != c.want {
			t.Errorf("philox4x32(%08x, %08x) = %08x, want %08x", c.ctr, c.key, got, c.want)
		}
		// The kernels' variant with precomputed round keys must agree.
		seed := uint64(c.key[0]) | uint64(c.key[1])<<32
		plan := newPhiloxPlan(seed, 1<<31)
		if got := philoxWithKeys(c.ctr, &plan.roundKeys); got != c.want {
			t.Errorf("philoxWithKeys(%08x, %08x) = %08x, want %08x", c.ctr, c.key, got, c.want)
		}
	}
}

func TestPhiloxPlanCalls(t *testing.T) {
	cases := []struct {
		t     uint64
		calls uint64
	}{
		{1 << 31, 1}, {1 << 28, 1}, {1 << 27, 2}, {0xE6666666, 8}, {1, 8}, {0xFFFFFFFF, 8}, {0x00F00000, 3},
	}
	for _, c := range cases {
		if got := newPhiloxPlan(7, c.t).calls; got != c.calls {
			t.Errorf("T=%#x: calls = %d, want %d", c.t, got, c.calls)
		}
	}
}

// TestPhiloxCalls01 checks the shared-product shortcut against the plain
// generator on random counters and keys.
func TestPhiloxCalls01(t *testing.T) {
	rng := rand.New(rand.NewPCG(61, 62))
	for range 10000 {
		lo, hi, seed := rng.Uint32(), rng.Uint32(), rng.Uint64()
		key := [2]uint32{uint32(seed), uint32(seed >> 32)}
		plan := newPhiloxPlan(seed, 1<<31)
		r0, r1 := philoxCalls01(lo, hi, &plan.roundKeys)
		if want := philox4x32([4]uint32{lo, hi, 0, 0}, key); r0 != want {
			t.Fatalf("call 0 of (%#x, %#x) seed %#x: %08x, want %08x", lo, hi, seed, r0, want)
		}
		if want := philox4x32([4]uint32{lo, hi, 1, 0}, key); r1 != want {
			t.Fatalf("call 1 of (%#x, %#x) seed %#x: %08x, want %08x", lo, hi, seed, r1, want)
		}
	}
}

// TestGroupWordPair: the interleaved pair equals two single groups.
func TestGroupWordPair(t *testing.T) {
	rng := rand.New(rand.NewPCG(63, 64))
	for range 2000 {
		p := newPhiloxPlan(rng.Uint64(), 1+rng.Uint64N(1<<32-1))
		h := rng.Uint64() >> 5
		if uint32(h) == ^uint32(0) {
			h-- // the pair must share the upper counter word
		}
		a, b := groupWordPair(h, &p)
		if wa, wb := groupWord(h, &p), groupWord(h+1, &p); a != wa || b != wb {
			t.Fatalf("groupWordPair(%#x) = %#x, %#x; want %#x, %#x", h, a, b, wa, wb)
		}
	}
}

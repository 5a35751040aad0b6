package dropout

import (
	"math/bits"
	"unsafe"
)

// chunkGroups is how many 32-element groups the driver hands to a kernel at
// a time: 32Ki elements. The chunk's 4 KiB of group words stay in L1 between
// the kernel that writes them and the loop that packs them into the mask,
// and the kernel's software prefetch (a few KiB ahead) restarts rarely:
// 128-group chunks measured 20% slower at 16Mi elements.
const chunkGroups = 1024

// forward runs mask v1 over n elements: it writes dst[i] = kept ? src[i]*scale
// : +0 (unless src is nil: mask only) and the mask (unless nil), and returns
// the kept count. With a nil mask and count false (a gradient needs
// neither) it skips the packing loop, and its result is not the count.
// When every element is kept (T = 2^32) dst is a copy of src.
func forward[T Float](k *kernels, dst, src []T, mask []uint64, n int, cfg Config, scale float64, count bool) int {
	raceRead(src)
	raceWrite(dst)
	raceWrite(mask)
	if n == 0 {
		return 0
	}
	t := threshold(cfg.Keep)
	switch t {
	case 0: // everything dropped
		clear(dst)
		clear(mask)
		return 0
	case 1 << 32: // everything kept, bit for bit
		copy(dst, src)
		fillMask(mask, n)
		return n
	}
	sc := getScratch()
	defer putScratch(sc)
	sc.plan = newPhiloxPlan(cfg.Seed, t)
	plan := &sc.plan

	// Group j (relative) is absolute group h0+j and covers call elements
	// [32j-s, 32j-s+32); the first and last may stick out of [0, n).
	h0, s := cfg.Offset/32, int(cfg.Offset%32)
	if s != 0 && src != nil && byUnits(k, dst, s) {
		return forwardRealigned(k, dst, src, mask, n, plan, scale, count, sc.groups[:], h0, s)
	}
	nGroups := int((uint64(s) + uint64(n) + 31) / 32)
	partial := func(j int) bool {
		return (j == 0 && s != 0) || (j == nGroups-1 && (s+n)%32 != 0)
	}

	buf := sc.groups[:]
	pack := maskPacker{mask: mask, n: n, shift: uint(s)}
	for j0 := 0; j0 < nGroups; j0 += chunkGroups {
		j1 := min(j0+chunkGroups, nGroups)
		out := buf[:j1-j0]
		// Whole groups go to the kernel; a partial group at either end is
		// finished here, element by element.
		f0, f1 := j0, j1
		if src != nil {
			if partial(f0) {
				f0++
			}
			if f1 > f0 && partial(f1-1) {
				f1--
			}
		}
		for a := f0; a < f1; {
			// All groups of one kernel call share the counter's upper word.
			h := h0 + uint64(a)
			b := callEnd(h, a, f1)
			o := buf[a-j0 : b-j0] // capacity reaches groupPad past the end
			if src == nil {
				k.maskGroups(o, h, plan)
			} else {
				lo, hi := 32*a-s, 32*b-s
				callForward(k, dst[lo:hi], src[lo:hi], o, h, plan, scale)
			}
			a = b
		}
		finish := func(j int) {
			w := groupWord(h0+uint64(j), plan)
			out[j-j0] = w
			lo, hi := max(32*j-s, 0), min(32*j-s+32, n)
			scaleByBits(dst[lo:hi], src[lo:hi], uint64(w)>>uint(lo+s-32*j), scale)
		}
		for j := j0; j < f0; j++ {
			finish(j)
		}
		for j := f1; j < j1; j++ {
			finish(j)
		}
		if mask != nil || count {
			pack.add(out)
		}
	}
	return pack.finish()
}

// callEnd returns where a kernel call over relative groups a.. (absolute
// group h first) that would run to b ends: at b, or earlier so that all its
// groups share the counter's upper word, uint32(h>>32).
func callEnd(h uint64, a, b int) int {
	if room := (h>>32+1)<<32 - h; room < uint64(b-a) {
		return a + int(room)
	}
	return b
}

// byUnits reports whether forward runs a call that starts s > 0 bits into a
// group by units (forwardRealigned): on sets that realign, unless the call's
// first whole group starts a cache line and dst does not, as in a shard
// sliced from a tensor, whose groups are where the tensor's are.
func byUnits[T Float](k *kernels, dst []T, s int) bool {
	if !k.realign {
		return false
	}
	onLine := func(p *T) bool { return uintptr(unsafe.Pointer(p))%64 == 0 }
	return len(dst) <= 32-s || onLine(&dst[0]) || !onLine(&dst[32-s])
}

// forwardRealigned is forward's loop for a call that starts s > 0 bits into
// group h0, on a kernel set whose fused forwards realign (kernels.realign).
// The kernels scale whole units of the call, elements 32u..32u+31, so dst
// keeps its alignment (and a streaming set its non-temporal stores: 1.3 to
// 1.7x the time at 16Mi float32 without), and the units' words are the
// call's mask words, packed without a shift. buf holds a chunk's words and
// the one before them.
func forwardRealigned[T Float](k *kernels, dst, src []T, mask []uint64, n int, plan *philoxPlan, scale float64, count bool, buf []uint32, h0 uint64, s int) int {
	plan.shift, plan.shiftUp = uint32(s), uint32(32-s)
	units := n / 32
	pack := maskPacker{mask: mask, n: n}
	for u0 := 0; ; u0 += chunkGroups {
		u1 := min(u0+chunkGroups, units)
		for a := u0; a < u1; {
			// Unit u is bits s..31 of group h0+u and 0..s-1 of group
			// h0+u+1: the kernel's groups are h0+a+1.., and the one before
			// them is the driver's. They share the counter's upper word.
			first := h0 + uint64(a) + 1
			b := callEnd(first, a, u1)
			buf[a-u0] = groupWord(first-1, plan)
			callForward(k, dst[32*a:32*b], src[32*a:32*b], buf[a-u0+1:b-u0+1], first, plan, scale)
			a = b
		}
		words := buf[:u1-u0]
		if u1 == units && n%32 != 0 {
			// The last, partial unit, here.
			h := h0 + uint64(units)
			w := groupWord(h, plan)>>s | groupWord(h+1, plan)<<(32-s)
			scaleByBits(dst[32*units:], src[32*units:], uint64(w), scale)
			words = buf[:len(words)+1]
			words[len(words)-1] = w
		}
		if mask != nil || count {
			pack.add(words)
		}
		if u1 == units {
			return pack.finish()
		}
	}
}

// maskPacker turns a stream of group words into the call's mask words.
// Stream bit p is element p-shift of the call, so call word w is the 64
// stream bits starting at 64w+shift.
type maskPacker struct {
	mask    []uint64 // nil: count only
	n       int
	shift   uint
	w       int    // next call word
	pending uint64 // stream word not yet emitted (shift > 0)
	started bool
	kept    int
}

// add takes the next group words; len(g) is even except at the very end.
// It runs once per 64 elements: the words before the call's last one go
// through the tight loops below, the last one through the general path.
func (p *maskPacker) add(g []uint32) {
	last := Words(p.n) - 1
	if p.shift != 0 && !p.started && len(g) > 0 {
		// The first stream word only starts the pending word.
		p.pending, p.started = pairWord(g, 0), true
		g = g[min(2, len(g)):]
	}
	if full := min(len(g)/2, last-p.w); full > 0 {
		if p.shift == 0 {
			p.kept += packPairs(p.mask, p.w, g[:2*full])
		} else {
			var k int
			k, p.pending = packShifted(p.mask, p.w, g[:2*full], p.pending, p.shift)
			p.kept += k
		}
		p.w += full
		g = g[2*full:]
	}
	for i := 0; i < len(g) && p.w <= last; i += 2 {
		word := pairWord(g, i)
		if p.shift != 0 {
			word, p.pending = p.pending>>p.shift|word<<(64-p.shift), word
		}
		p.emit(word)
	}
}

// pairWord returns group words i and i+1 (0 past the end) as one stream
// word, g[i] | g[i+1]<<32.
func pairWord(g []uint32, i int) uint64 {
	word := uint64(g[i])
	if i+1 < len(g) {
		word |= uint64(g[i+1]) << 32
	}
	return word
}

// packPairs stores the group-word pairs g as mask words from w on (unless
// mask is nil) and returns their set bits. It runs once per 64 elements of
// every call: as a copy and a count (pairsAsWords) it takes less than half
// the time of the word-by-word loop, which at 16Mi bfloat16 elements was 9%
// of Forward.
func packPairs(mask []uint64, w int, g []uint32) (kept int) {
	if words := pairsAsWords(g); words != nil {
		if mask != nil {
			copy(mask[w:w+len(words)], words)
		}
		return onesCount(words)
	}
	for i := 0; i+1 < len(g); i += 2 {
		word := pairWord(g, i)
		kept += bits.OnesCount64(word)
		if mask != nil {
			mask[w+i/2] = word
		}
	}
	return kept
}

// pairsAsWords returns g (even length) as the mask words its pairs make,
// g[2i] | g[2i+1]<<32, without copying: on little-endian machines the memory
// is the same. It returns nil where it is not (big-endian, misaligned).
func pairsAsWords(g []uint32) []uint64 {
	if !littleEndian || len(g) < 2 || uintptr(unsafe.Pointer(&g[0]))%8 != 0 {
		return nil
	}
	return unsafe.Slice((*uint64)(unsafe.Pointer(&g[0])), len(g)/2)
}

// littleEndian reports whether this machine stores the low byte first.
var littleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// onesCount returns the set bits of ws: onesCountGo, or on amd64 CPUs with
// POPCNT an assembly loop (kernel_amd64.go; BenchmarkPackPairs -45%).
var onesCount = onesCountGo

// onesCountGo returns the set bits of ws.
func onesCountGo(ws []uint64) (n int) {
	for _, x := range ws {
		n += bits.OnesCount64(x)
	}
	return n
}

// packShifted is packPairs for a call starting shift bits into a group:
// each mask word joins the previous stream word (pending) and the next.
func packShifted(mask []uint64, w int, g []uint32, pending uint64, shift uint) (kept int, next uint64) {
	pairs := len(g) / 2
	if pairs == 0 {
		return 0, pending
	}
	lo, hi := shift&63, (64-shift)&63 // shift is 1..31: the masks only drop checks
	first := pending
	if words := pairsAsWords(g); words != nil {
		if mask != nil {
			// Each word from two loaded ones, no value carried from one
			// iteration to the next: 17% faster (BenchmarkPackShifted/mask).
			out := mask[w : w+len(words)]
			out[0] = pending>>lo | words[0]<<hi
			for i := 1; i < len(words); i++ {
				out[i] = words[i-1]>>lo | words[i]<<hi
			}
		}
		// onesCount is POPCNT on amd64, cheaper than a bits.OnesCount64
		// per word at GOAMD64=v1.
		kept, pending = onesCount(words), words[pairs-1]
	} else {
		for i := range pairs {
			word := pairWord(g, 2*i)
			if mask != nil {
				mask[w+i] = pending>>lo | word<<hi
			}
			kept += bits.OnesCount64(word)
			pending = word
		}
	}
	// The mask words hold the stream bits from bit shift of the first
	// pending word to bit shift of the last stream word: count those.
	return kept + bits.OnesCount64(first>>lo) - bits.OnesCount64(pending>>lo), pending
}

// emit stores the call word after the last stream word.
func (p *maskPacker) emit(word uint64) {
	words := Words(p.n)
	if p.w >= words {
		return
	}
	if p.w == words-1 && p.n%64 != 0 {
		word &= 1<<uint(p.n%64) - 1
	}
	p.kept += bits.OnesCount64(word)
	if p.mask != nil {
		p.mask[p.w] = word
	}
	p.w++
}

// finish emits the last pending word and returns the kept count.
func (p *maskPacker) finish() int {
	if p.shift != 0 && p.started {
		p.emit(p.pending >> p.shift)
	}
	return p.kept
}

// fillMask sets the first n bits of mask and clears the rest of its words.
func fillMask(mask []uint64, n int) {
	if mask == nil {
		return
	}
	for i := range mask {
		mask[i] = ^uint64(0)
	}
	if n%64 != 0 {
		mask[len(mask)-1] = 1<<uint(n%64) - 1
	}
}

// apply runs the mask-multiply-scale kernel: whole words in the kernel, the
// last partial word here.
func apply[T Float](k *kernels, dst, src []T, mask []uint64, scale float64) {
	n := len(src)
	raceRead(src)
	raceRead(mask[:Words(n)])
	raceWrite(dst)
	full := n / 64
	if full > 0 {
		callApply(k, dst[:64*full], src[:64*full], mask[:full], scale)
	}
	if n%64 != 0 {
		scaleByBits(dst[64*full:], src[64*full:], mask[full], scale)
	}
}

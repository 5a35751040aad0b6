package dropout

import (
	"runtime"
	"sync/atomic"
	"time"
)

// Helper goroutines for parallel calls.
//
// Starting a goroutine is cheap, but the first piece it runs is not: the new
// goroutine waits in the caller's run queue until another P steals it, and
// when that P's thread sleeps, waking it takes a system call and, in a
// virtual machine, a wake-up of the idle virtual CPU. On the 2-core VM the
// package is benchmarked on, the second goroutine of a Forward of 1Mi
// float32 started 60-90 us after the call, a third of the call. So a helper
// that finishes a job stays on its CPU for helperSpin, polling for the next
// job, as OpenMP and Eigen thread pools do; then it exits. Back-to-back
// parallel calls (the layers of a network, a training loop) find a helper
// running, and an idle program keeps no goroutine and burns no CPU.

// helperSpin is how long a helper polls for a new job before it exits.
const helperSpin = 50 * time.Microsecond

// job is one parallel call: the pieces of [0, n) that the caller and its
// helpers take from a shared cursor.
type job struct {
	k                 *kernels // whose stores each goroutine finishes
	n, align, workers int
	minUnits          int // the smallest piece, in units
	body              func(lo, hi int) int
	next, total       atomic.Int64
	// running counts the goroutines inside run. The caller waits only for
	// those: a helper that enters run after the caller's own run has taken
	// the last piece finds the cursor at n and writes nothing.
	running atomic.Int64
}

// run takes pieces until none is left, adds their results to total and
// reports whether it took any. Pieces shrink as the work runs out (guided
// scheduling): each is 1/(2*workers) of what is left, but at least
// minUnits, so the first pieces cost little to hand out and the last ones
// let the goroutines finish together, although helpers start late.
func (j *job) run() (took bool) {
	j.running.Add(1)
	defer j.running.Add(-1)
	sum := 0
	for {
		lo := int(j.next.Load())
		if lo >= j.n {
			break
		}
		size := max((j.n-lo)/(2*j.workers), j.minUnits)
		hi := min((lo+size+j.align-1)/j.align*j.align, j.n)
		if j.next.CompareAndSwap(int64(lo), int64(hi)) {
			sum += j.body(lo, hi)
			took = true
		}
	}
	if took { // a helper that came too late touches nothing but the counters
		j.k.finish() // before the total tells the caller the pieces are written
		j.total.Add(int64(sum))
	}
	return took
}

// helperPool is a pool of spinning helpers. idle counts the helpers that
// are polling for jobs and have not been promised one: a caller claims one by
// decrementing idle before it sends, and a helper leaves only by decrementing
// it, so every job sent is received.
type helperPool struct {
	idle atomic.Int64
	jobs chan *job
}

// helpers is the package's pool (tests make their own).
var helpers = helperPool{jobs: make(chan *job, 64)}

// start gives j to up to count helpers: spinning ones first, new goroutines
// for the rest.
func (p *helperPool) start(j *job, count int) {
	for range count {
		if p.claim() {
			p.jobs <- j
			continue
		}
		go p.helper(j)
	}
}

// claim reserves one spinning helper, if there is one.
func (p *helperPool) claim() bool {
	for {
		n := p.idle.Load()
		if n <= 0 {
			return false
		}
		if p.idle.CompareAndSwap(n, n-1) {
			return true
		}
	}
}

// helper runs j, then polls for further jobs for helperSpin after each one.
// A helper that found every piece of its job taken (its caller finished
// without it) polls only when no other helper is polling: it may be late
// because its CPU had to be woken, and then the next call needs it polling;
// but with more callers than CPUs many helpers come late, and each one
// polling would take a CPU from the callers.
func (p *helperPool) helper(j *job) {
	for j != nil {
		if !j.run() && p.idle.Load() > 0 {
			return
		}
		j = p.next()
	}
}

// next polls for a job for helperSpin and returns it, or nil once the
// helper has left the pool. It does not yield: a yielding helper waits in a
// run queue, and may end up queued behind its caller on one P while the other
// P's thread goes to sleep, which is the latency the spin is there to avoid.
func (p *helperPool) next() *job {
	p.idle.Add(1)
	deadline := time.Now().Add(helperSpin)
	for {
		select {
		case j := <-p.jobs:
			return j
		default:
		}
		if time.Now().After(deadline) {
			// Leave unless a caller has just claimed this helper.
			if n := p.idle.Load(); n > 0 && p.idle.CompareAndSwap(n, n-1) {
				return nil
			}
		}
	}
}

// joinSpin is how long the caller polls for its helpers to finish before it
// yields its P between polls: the helpers take the last, small pieces, so
// they finish within microseconds of the caller; yielding at once would hand
// the caller's P to whatever is queued, and parking it would make the last
// helper wake it (a wake-up on another P).
const joinSpin = 20 * time.Microsecond

// wait returns when no helper is running j any more; the caller calls it
// after its own run, once every piece has been taken. Past joinSpin it
// yields between polls, so that a helper on the caller's P can finish.
func (j *job) wait() {
	if j.running.Load() == 0 {
		return
	}
	deadline := time.Now().Add(joinSpin)
	for j.running.Load() != 0 {
		if time.Now().After(deadline) {
			runtime.Gosched()
		}
	}
}

package dropout

import "sync"

// scratchWords is the size of the mask chunks the variants stage in
// scratch memory: 4096 elements, small enough to stay in L1 with their data.
const scratchWords = 64

// scratch is a call's working memory. Kernels are called through function
// values, so escape analysis would move stack buffers passed to them to the
// heap on every call; a pool keeps calls allocation-free instead.
type scratch struct {
	plan   philoxPlan
	groups [1 + chunkGroups + groupPad]uint32 // group words of one chunk (and the one before: forwardRealigned)
	words  [scratchWords]uint64               // a staged mask chunk
	elems  [scratchWords]uint64               // an element mask built from block bits
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

func getScratch() *scratch  { return scratchPool.Get().(*scratch) }
func putScratch(s *scratch) { scratchPool.Put(s) }

package tokenize

import (
	"slices"
	"sync"
)

// Ollama's own engine (tokenizer/bytepairencoding.go Encode, 0.17.4), which
// runs Qwen3-Coder, does not apply merges the way Hugging Face does, and its
// prompt_eval_count is what a local window holds. Two differences, both
// measured against a real Ollama (ollama_tokens_integration_test.go and
// providers/ollama/prompt_integration_test.go):
//
//   - a piece that is itself a vocabulary token is that one token, merges
//     or not;
//   - merges come off a binary heap ordered by rank alone
//     (github.com/emirpasic/gods/v2 trees/binaryheap), so among equal
//     ranks the heap's layout decides, not the position: "}}}}\n" is
//     "}}", "}}", "}\n"... for Hugging Face, but "}", "}}", "}Ċ"-like for
//     Ollama, and "]}}}}}\n" the other way round.
//
// mergeOllama reproduces that exactly: the same pushes in the same order
// into a heap that sifts as gods' does.

const (
	// linearMergeMax is the longest piece merged on buffers of the stack,
	// without allocating.
	linearMergeMax = 64
	// maxCachedWord is the longest piece the word cache keeps; longer ones
	// are rare and would let a few blobs crowd out many words.
	maxCachedWord = 64
)

// ollamaPair is bytepairencoding.go's pair: a merge of the symbols at a and
// b, possible when it was queued, and the symbols it was queued for.
type ollamaPair struct {
	rank        uint32
	a, b        int32
	left, right int32
}

// ollamaHeap is gods' binaryheap.Heap with bytepairencoding.go's
// comparator (cmp.Compare of the ranks): bubbleUp stops at a parent that is
// not greater, bubbleDown takes the right child only when the left one is
// greater and swaps only when the parent is greater.
type ollamaHeap []ollamaPair

// push and pop take and return the slice rather than work through a
// pointer, so that a heap on the stack stays there.
func (h ollamaHeap) push(p ollamaPair) ollamaHeap {
	s := append(h, p)
	for i := len(s) - 1; i > 0; {
		parent := (i - 1) >> 1
		if s[parent].rank <= s[i].rank {
			break
		}
		s[i], s[parent] = s[parent], s[i]
		i = parent
	}
	return s
}

func (h ollamaHeap) pop() (ollamaPair, ollamaHeap) {
	s := h
	top := s[0]
	last := len(s) - 1
	s[0], s[last] = s[last], s[0]
	s = s[:last]
	for i := 0; ; {
		l := i<<1 + 1
		if l >= len(s) {
			break
		}
		small := l
		if r := l + 1; r < len(s) && s[l].rank > s[r].rank {
			small = r
		}
		if s[i].rank <= s[small].rank {
			break
		}
		s[i], s[small] = s[small], s[i]
		i = small
	}
	return top, s
}

// mergeOllama appends the tokens Ollama's engine encodes the piece p to.
func (b *BPE) mergeOllama(p string, out []int32) []int32 {
	if id, ok := b.wholeToken(p); ok {
		return append(out, id)
	}
	if len(p) > linearMergeMax {
		sc := scratchPool.Get().(*mergeScratch)
		defer sc.put()
		n := len(p)
		sc.syms, sc.prev, sc.next = slices.Grow(sc.syms[:0], n), slices.Grow(sc.prev[:0], n), slices.Grow(sc.next[:0], n)
		sc.heap = slices.Grow(sc.heap[:0], 3*n)
		return b.mergeWith(p, sc.syms, sc.prev, sc.next, sc.heap, out)
	}
	var symsBuf, prevBuf, nextBuf [linearMergeMax]int32
	var heapBuf [3 * linearMergeMax]ollamaPair
	return b.mergeWith(p, symsBuf[:0], prevBuf[:0], nextBuf[:0], heapBuf[:0], out)
}

// mergeWith is mergeOllama on working space with room for p: syms, prev
// and next for len(p) symbols, h for 3*len(p) pairs.
func (b *BPE) mergeWith(p string, syms, prev, next []int32, h ollamaHeap, out []int32) []int32 {
	n := len(p)
	for i := 0; i < n; i++ {
		syms = append(syms, b.byteID[p[i]])
		prev = append(prev, int32(i-1))
		next = append(next, int32(i+1))
	}
	pair := func(a, c int32) {
		if a < 0 || int(c) >= n {
			return
		}
		if r, _ := b.merge(syms[a], syms[c]); r != noRank {
			h = h.push(ollamaPair{rank: r, a: a, b: c, left: syms[a], right: syms[c]})
		}
	}
	for i := int32(0); int(i) < n-1; i++ {
		pair(i, i+1)
	}
	for len(h) > 0 {
		var q ollamaPair
		q, h = h.pop()
		// Stale when either side has merged since it was queued.
		if syms[q.a] != q.left || syms[q.b] != q.right {
			continue
		}
		_, made := b.merge(q.left, q.right)
		syms[q.a], syms[q.b] = made, -1
		next[q.a] = next[q.b]
		if int(next[q.b]) < n {
			prev[next[q.b]] = q.a
		}
		pair(prev[q.a], q.a)
		pair(q.a, next[q.a])
	}
	for _, s := range syms {
		if s >= 0 {
			out = append(out, s)
		}
	}
	return out
}

// mergeScratch is mergeOllama's working space for a long piece (minified
// code, base64, a run of spaces), kept for the next one.
type mergeScratch struct {
	syms, prev, next []int32
	heap             ollamaHeap
}

var scratchPool = sync.Pool{New: func() any { return new(mergeScratch) }}

// maxPooledScratch is the longest piece whose working space is kept: a
// rare multi-megabyte blob's is left to the collector.
const maxPooledScratch = 1 << 16

func (sc *mergeScratch) put() {
	if cap(sc.syms) <= maxPooledScratch {
		scratchPool.Put(sc)
	}
}

// wholeToken reports whether the piece p is a token of the vocabulary. A
// piece of one byte always is, and a piece longer than any token never.
func (b *BPE) wholeToken(p string) (int32, bool) {
	if len(p) == 1 {
		return b.byteID[p[0]], true
	}
	if len(p) > b.longest {
		return 0, false
	}
	return b.tokens.getString(p)
}

package tokenize

// Two ways to apply merges to one piece, with the same result: the merge
// of lowest rank goes first, and among equal ranks the leftmost (Hugging
// Face's BPE word.merge_all orders its queue by rank, then position).
//
// Most pieces are short words, where rescanning a small array of pair
// ranks beats any queue. A long piece (a minified line of punctuation, a run
// of spaces, a blob of letters) would make that quadratic, so past
// linearMergeMax bytes a heap over a linked list of symbols keeps it at
// O(n log n).

const (
	// linearMergeMax is the longest piece merged by rescanning.
	linearMergeMax = 64
	// maxCachedWord is the longest piece the word cache keeps; longer ones
	// are rare and would let a few blobs crowd out many words.
	maxCachedWord = 64
)

// mergeLinear appends the tokens of p (len(p) <= linearMergeMax) to out.
func (b *BPE) mergeLinear(p string, out []int32) []int32 {
	start := len(out)
	for i := 0; i < len(p); i++ {
		out = append(out, b.byteID[p[i]])
	}
	syms := out[start:]
	if len(syms) < 2 {
		return out
	}
	// ranks[i] and made[i] describe the pair syms[i], syms[i+1].
	var ranksBuf [linearMergeMax]uint32
	var madeBuf [linearMergeMax]int32
	n := len(syms)
	ranks, made := ranksBuf[:n-1], madeBuf[:n-1]
	for i := range ranks {
		ranks[i], made[i] = b.merge(syms[i], syms[i+1])
	}
	for n > 1 {
		best, at := noRank, -1
		for i, r := range ranks[:n-1] {
			if r < best {
				best, at = r, i
			}
		}
		if at < 0 {
			break
		}
		syms[at] = made[at]
		copy(syms[at+1:n], syms[at+2:n])
		copy(ranks[at:n-1], ranks[at+1:n-1])
		copy(made[at:n-1], made[at+1:n-1])
		n--
		if at > 0 {
			ranks[at-1], made[at-1] = b.merge(syms[at-1], syms[at])
		}
		if at < n-1 {
			ranks[at], made[at] = b.merge(syms[at], syms[at+1])
		}
	}
	return out[:start+n]
}

// candidate is a merge that was possible when it was queued.
type candidate struct {
	rank uint32
	pos  int32
}

func (c candidate) before(d candidate) bool {
	return c.rank < d.rank || (c.rank == d.rank && c.pos < d.pos)
}

// mergeHeap appends the tokens of p to out in O(n log n).
func (b *BPE) mergeHeap(p string, out []int32) []int32 {
	n := len(p)
	syms := make([]int32, n)
	prev := make([]int32, n)
	next := make([]int32, n)
	for i := 0; i < n; i++ {
		syms[i], prev[i], next[i] = b.byteID[p[i]], int32(i-1), int32(i+1)
	}
	next[n-1] = -1
	h := make(candidateHeap, 0, n)
	for i := 0; i+1 < n; i++ {
		if r, _ := b.merge(syms[i], syms[i+1]); r != noRank {
			h.push(candidate{r, int32(i)})
		}
	}
	for len(h) > 0 {
		c := h.pop()
		i := c.pos
		j := next[i]
		if syms[i] < 0 || j < 0 {
			continue
		}
		// A candidate is stale once either side has merged since it was
		// queued; ranks are unique per pair, so re-checking the rank of the
		// pair now at i tells.
		r, made := b.merge(syms[i], syms[j])
		if r != c.rank {
			continue
		}
		syms[i], syms[j] = made, -1
		next[i] = next[j]
		if k := next[j]; k >= 0 {
			prev[k] = i
		}
		if k := prev[i]; k >= 0 {
			if r, _ := b.merge(syms[k], syms[i]); r != noRank {
				h.push(candidate{r, k})
			}
		}
		if k := next[i]; k >= 0 {
			if r, _ := b.merge(syms[i], syms[k]); r != noRank {
				h.push(candidate{r, i})
			}
		}
	}
	for i := int32(0); i >= 0; i = next[i] {
		out = append(out, syms[i])
	}
	return out
}

// candidateHeap is a binary min-heap; container/heap's interface calls
// would cost more than the merges.
type candidateHeap []candidate

func (h *candidateHeap) push(c candidate) {
	*h = append(*h, c)
	s := *h
	for i := len(s) - 1; i > 0; {
		parent := (i - 1) / 2
		if !s[i].before(s[parent]) {
			break
		}
		s[i], s[parent] = s[parent], s[i]
		i = parent
	}
}

func (h *candidateHeap) pop() candidate {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s = s[:last]
	for i := 0; ; {
		l, small := 2*i+1, i
		if l < len(s) && s[l].before(s[small]) {
			small = l
		}
		if r := l + 1; r < len(s) && s[r].before(s[small]) {
			small = r
		}
		if small == i {
			break
		}
		s[i], s[small] = s[small], s[i]
		i = small
	}
	*h = s
	return top
}

package tokenize

import (
	"sort"
	"strings"
	"sync"
	"unsafe"
)

// A rendered prompt is the conversation so far, whatever the template,
// and the next turn's prompt is usually the same text with a little more
// at the end (or changed near the end: a template that marks the last
// message). So Counter keeps the last prompts it counted, each with its
// count at every added token, and counts a new prompt from the last such
// point that the two prompts share: a megabyte compared, not hashed and
// looked up segment by segment.
//
// Resuming there is exact. Counting splits text only at added tokens and
// at paragraph ends, and each split is decided by the bytes before it and
// at most one added token's length after. A point p reached after an
// added token, with p plus the longest added token within the shared
// prefix, was reached by the same splits in both prompts, so the count
// up to p is the same.

// promptMemos bounds what is kept.
const (
	promptMemoSlots = 8
	promptMemoBytes = 16 << 20
	// minMemoPrompt is the shortest prompt remembered: below it the
	// segment cache is as quick.
	minMemoPrompt = 16 << 10
)

// promptMemo is a prompt counted before. It is not modified once made.
//
// It does not keep a copy of the prompt. It keeps the long strings the
// prompt was written from (promptBuffer's refs: a message's content, which
// the request decoder's cache holds anyway) and a copy of the bytes
// between them (the template's text, short messages). A later prompt that
// was written from the same strings at the same places agrees with it
// there without a byte being compared; where it was not, the bytes are.
type promptMemo struct {
	length int
	// pieces are the prompt's bytes in order, each a kept string or a
	// part of gaps.
	pieces []memoPiece
	gen    uint64
	// marks are the points after each added token, in order, with the
	// count of the prompt up to there.
	marks []promptMark
}

// memoPiece is the prompt's bytes at [at, at+len(s)).
type memoPiece struct {
	at  int
	s   string
	ref bool // s is a string the prompt was written from
}

// newPromptMemo makes the memo of what b holds.
func newPromptMemo(b *promptBuffer, gen uint64, marks []promptMark) *promptMemo {
	m := &promptMemo{length: len(b.b), gen: gen, marks: marks}
	referred := 0
	for _, r := range b.refs {
		referred += len(r.s)
	}
	var gaps strings.Builder
	gaps.Grow(len(b.b) - referred)
	type span struct{ from, to int }
	var spans []span
	gap := func(from, to int) {
		if from < to {
			spans = append(spans, span{gaps.Len(), gaps.Len() + to - from})
			gaps.Write(b.b[from:to])
			m.pieces = append(m.pieces, memoPiece{at: from})
		}
	}
	m.pieces = make([]memoPiece, 0, 2*len(b.refs)+1)
	pos := 0
	for _, r := range b.refs {
		gap(pos, r.at)
		m.pieces = append(m.pieces, memoPiece{at: r.at, s: r.s, ref: true})
		pos = r.at + len(r.s)
	}
	gap(pos, len(b.b))
	all := gaps.String()
	k := 0
	for i := range m.pieces {
		if !m.pieces[i].ref {
			m.pieces[i].s = all[spans[k].from:spans[k].to]
			k++
		}
	}
	return m
}

// common returns the length of the prefix prompt, written with refs, shares
// with m.
func (m *promptMemo) common(prompt string, refs []promptRef) int {
	j := 0
	for _, p := range m.pieces {
		if p.ref {
			for j < len(refs) && refs[j].at < p.at {
				j++
			}
			if j < len(refs) && refs[j].at == p.at && sameString(refs[j].s, p.s) {
				continue
			}
		}
		rest := prompt[min(p.at, len(prompt)):]
		if n := commonPrefix(p.s, rest); n < len(p.s) {
			return p.at + n
		}
	}
	return m.length
}

// sameString reports whether a and b are the same bytes in memory, and so
// equal without reading them: strings are never modified, and m keeps
// the one it holds from being freed and reused.
func sameString(a, b string) bool {
	return len(a) == len(b) && unsafe.StringData(a) == unsafe.StringData(b)
}

type promptMark struct{ at, tokens int }

// resumeAt returns the index of the last mark from which a prompt that
// shares common bytes with m's may be counted, or -1.
func (m *promptMemo) resumeAt(common, longestSpecial int) int {
	return sort.Search(len(m.marks), func(i int) bool { return m.marks[i].at+longestSpecial > common }) - 1
}

// promptMemos holds the most recent memos, most recent first.
type promptMemos struct {
	mu   sync.Mutex
	list []*promptMemo
}

// recall returns the memo that shares the longest prefix with prompt,
// written with refs, and that prefix's length.
func (ms *promptMemos) recall(prompt string, refs []promptRef, gen uint64) (*promptMemo, int) {
	if !memorable(len(prompt)) {
		return nil, 0
	}
	// Memos are not modified once made: compare outside the lock, so
	// that concurrent requests do not wait on each other's megabytes.
	var list [promptMemoSlots]*promptMemo
	ms.mu.Lock()
	n := copy(list[:], ms.list)
	ms.mu.Unlock()
	var best *promptMemo
	common := 0
	for _, m := range list[:n] {
		if m.gen != gen {
			continue
		}
		if n := m.common(prompt, refs); n > common {
			best, common = m, n
		}
	}
	return best, common
}

// memorable reports whether a prompt of n bytes is remembered.
func memorable(n int) bool { return n >= minMemoPrompt && n <= promptMemoBytes/2 }

// remember keeps m, unless it is too short or too long to. It replaces base,
// the memo m was counted from, when m continues base's conversation (they
// share at least half of base), and otherwise the least recently used
// memo.
func (ms *promptMemos) remember(m, base *promptMemo, common int) {
	if !memorable(m.length) {
		return
	}
	ms.mu.Lock()
	defer ms.mu.Unlock()
	list := make([]*promptMemo, 0, promptMemoSlots)
	list = append(list, m)
	replace := base != nil && common >= base.length/2
	size := m.length
	for _, old := range ms.list {
		if (replace && old == base) || old.gen != m.gen || len(list) == promptMemoSlots || size+old.length > promptMemoBytes {
			continue
		}
		list = append(list, old)
		size += old.length
	}
	ms.list = list
}

// trim keeps the most recent memos that together take at most limit
// bytes.
func (ms *promptMemos) trim(limit int) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	size := 0
	for i, m := range ms.list {
		if size+m.length > limit {
			clear(ms.list[i:])
			ms.list = ms.list[:i]
			return
		}
		size += m.length
	}
}

// commonPrefix returns the length of the longest common prefix of a and b.
func commonPrefix(a, b string) int {
	n := min(len(a), len(b))
	i := 0
	for _, block := range [...]int{4096, 64} {
		for i+block <= n && a[i:i+block] == b[i:i+block] {
			i += block
		}
	}
	for i < n && a[i] == b[i] {
		i++
	}
	return i
}

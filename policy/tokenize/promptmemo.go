package tokenize

import (
	"sort"
	"sync"
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
type promptMemo struct {
	// prompt is buf's bytes; buf goes back to the pool when the memo is
	// dropped, so prompt is read only under promptMemos' lock.
	prompt string
	buf    *promptBuffer
	gen    uint64
	// marks are the points after each added token, in order, with the
	// count of the prompt up to there.
	marks []promptMark
}

type promptMark struct{ at, tokens int }

// resumeAt returns the index of the last mark from which a prompt that
// shares common bytes with m.prompt may be counted, or -1.
func (m *promptMemo) resumeAt(common, longestSpecial int) int {
	return sort.Search(len(m.marks), func(i int) bool { return m.marks[i].at+longestSpecial > common }) - 1
}

// promptMemos holds the most recent memos, most recent first.
type promptMemos struct {
	mu   sync.Mutex
	list []*promptMemo
}

// recall returns the memo that shares the longest prefix with prompt, and
// that prefix's length. The caller may read the memo's marks, never its
// prompt: that may be reused once the lock is released.
func (ms *promptMemos) recall(prompt string, gen uint64) (*promptMemo, int) {
	if len(prompt) < minMemoPrompt {
		return nil, 0
	}
	ms.mu.Lock()
	defer ms.mu.Unlock()
	var best *promptMemo
	common := 0
	for _, m := range ms.list {
		if m.gen != gen {
			continue
		}
		if n := commonPrefix(m.prompt, prompt); n > common {
			best, common = m, n
		}
	}
	return best, common
}

// remember keeps m, or returns its buffer to the pool. It replaces base,
// the memo m was counted from, when m continues base's conversation (they
// share at least half of base), and otherwise the least recently used
// memo.
func (ms *promptMemos) remember(m, base *promptMemo, common int) {
	if len(m.prompt) < minMemoPrompt || len(m.prompt) > promptMemoBytes/2 {
		putPromptBuffer(m.buf)
		return
	}
	ms.mu.Lock()
	defer ms.mu.Unlock()
	list := make([]*promptMemo, 0, promptMemoSlots)
	list = append(list, m)
	replace := base != nil && common >= len(base.prompt)/2
	size := len(m.prompt)
	for _, old := range ms.list {
		if (replace && old == base) || old.gen != m.gen || len(list) == promptMemoSlots || size+len(old.prompt) > promptMemoBytes {
			putPromptBuffer(old.buf)
			continue
		}
		list = append(list, old)
		size += len(old.prompt)
	}
	ms.list = list
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

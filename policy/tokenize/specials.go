package tokenize

import (
	"sort"
	"strings"
)

// specials finds added tokens in text. Every added token of the
// vocabularies we support starts with '<', so the scan jumps from '<' to
// '<' and only then compares; code full of '<' (HTML, generics) costs one
// table lookup per '<'.
type specials struct {
	// byFirstTwo lists, for the byte after a token's first byte, the
	// tokens that start with first+that byte, longest first (Hugging Face
	// matches leftmost-longest).
	byFirstTwo [256][]string
	first      [256]bool
	// only is the first byte every token shares, when they all share one
	// (Qwen's all start with '<'): then the scan can use IndexByte.
	only    byte
	hasOnly bool
	any     bool
	// longest is the most bytes a token spells.
	longest int
}

func newSpecials(tokens []string) *specials {
	sp := &specials{}
	sorted := append([]string(nil), tokens...)
	sort.Slice(sorted, func(i, j int) bool { return len(sorted[i]) > len(sorted[j]) })
	for _, t := range sorted {
		if len(t) < 2 {
			// A one-byte added token would split ordinary text at every
			// occurrence; no real vocabulary has one, and BPE counts the
			// byte as one token anyway.
			continue
		}
		sp.first[t[0]] = true
		sp.byFirstTwo[t[1]] = append(sp.byFirstTwo[t[1]], t)
		sp.any = true
		sp.longest = max(sp.longest, len(t))
	}
	n := 0
	for b, ok := range sp.first {
		if ok {
			sp.only = byte(b)
			n++
		}
	}
	sp.hasOnly = n == 1
	return sp
}

// next returns the position and length of the first added token in s, or
// (len(s), 0) when there is none.
func (sp *specials) next(s string) (int, int) {
	if !sp.any {
		return len(s), 0
	}
	for i := 0; i+1 < len(s); i++ {
		if sp.hasOnly {
			j := strings.IndexByte(s[i:], sp.only)
			if j < 0 {
				break
			}
			i += j
			if i+1 >= len(s) {
				break
			}
		} else if !sp.first[s[i]] {
			continue
		}
		for _, t := range sp.byFirstTwo[s[i+1]] {
			if strings.HasPrefix(s[i:], t) {
				return i, len(t)
			}
		}
	}
	return len(s), 0
}

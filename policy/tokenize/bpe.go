package tokenize

import (
	"fmt"
	"strings"
)

// BPE is a byte-level BPE tokenizer with the qwen2 pre-tokenizer. It is
// safe for concurrent use; it keeps a bounded cache of recent words.
type BPE struct {
	// byteID is the token of each single byte, where every merge starts.
	byteID [256]int32
	// merges maps a pair of adjacent tokens, left<<32|right, to the merge's
	// rank (its line in the merges list; lower merges first) <<32 | the
	// token it makes.
	merges   *pairTable
	specials *specials
	// addedIDs maps each added token to its id, for Encode.
	addedIDs map[string]int32
	// tokens maps every token, by the bytes it spells, to its id, and
	// longest is the most bytes one token spells: Ollama encodes a piece
	// that is a token as that token (see mergeOllama).
	tokens  *tokenTable
	longest int
	words   *wordCache
	size    int
}

// noRank is above every real rank.
const noRank = ^uint32(0)

// NewBPE builds a tokenizer from a vocabulary. It fails, naming what it
// found, when the model or pre-tokenizer is not one it implements, when a
// byte has no token, or when a merge names tokens the vocabulary lacks.
func NewBPE(v Vocabulary) (*BPE, error) {
	if v.Model != ModelGPT2 {
		return nil, fmt.Errorf("tokenize: tokenizer model %q is not supported (want %q, byte-level BPE)", v.Model, ModelGPT2)
	}
	if v.Pre != PreQwen2 {
		return nil, fmt.Errorf("tokenize: pre-tokenizer %q is not supported (want %q)", v.Pre, PreQwen2)
	}
	if v.TokenTypes != nil && len(v.TokenTypes) != len(v.Tokens) {
		return nil, fmt.Errorf("tokenize: %d token types for %d tokens", len(v.TokenTypes), len(v.Tokens))
	}
	if len(v.Tokens) >= 1<<31 {
		return nil, fmt.Errorf("tokenize: %d tokens is too many", len(v.Tokens))
	}
	blob := 0
	for _, t := range v.Tokens {
		blob += len(t)
	}
	ids := newTokenTable(len(v.Tokens), blob)
	addedIDs := make(map[string]int32)
	var added []string
	// unspelled are tokens that spell no bytes byte-level (a literal
	// space, a character outside GPT-2's table): no piece of text is one,
	// and no merge of bytes makes one, but a merge may name one.
	unspelled := make(map[string]bool)
	longest := 0
	var raw []byte
	for i, t := range v.Tokens {
		typ := TokenNormal
		if v.TokenTypes != nil {
			typ = v.TokenTypes[i]
		}
		switch typ {
		case TokenControl, TokenUserDefined:
			if _, dup := addedIDs[t]; !dup {
				added = append(added, t)
				addedIDs[t] = int32(i)
			}
		}
		var ok bool
		raw, ok = unspell(raw[:0], t)
		if !ok {
			raw = raw[:0]
			if typ != TokenUnused {
				unspelled[t] = true
			}
		}
		id := ids.append(raw)
		if ok && typ != TokenUnused && ids.index(id) {
			longest = max(longest, len(raw))
		}
	}
	b := &BPE{
		merges:   newPairTable(len(v.Merges)),
		specials: newSpecials(added),
		addedIDs: addedIDs,
		tokens:   ids,
		longest:  longest,
		words:    newWordCache(),
		size:     len(v.Tokens),
	}
	for c := 0; c < 256; c++ {
		id, ok := ids.get([]byte{byte(c)})
		if !ok {
			return nil, fmt.Errorf("tokenize: vocabulary has no token for byte 0x%02x (%q)", c, byteRunes[c])
		}
		b.byteID[c] = id
	}
	if len(v.Merges) >= int(noRank) {
		return nil, fmt.Errorf("tokenize: %d merges is too many", len(v.Merges))
	}
	var left, right []byte
	for rank, m := range v.Merges {
		l, r, ok := strings.Cut(m, " ")
		if !ok {
			return nil, fmt.Errorf("tokenize: merge %d %q is not \"left right\"", rank, m)
		}
		var lok, rok bool
		left, lok = unspell(left[:0], l)
		right, rok = unspell(right[:0], r)
		if !lok || !rok {
			if (lok || unspelled[l]) && (rok || unspelled[r]) {
				continue // it can never apply
			}
			return nil, fmt.Errorf("tokenize: merge %d %q names a token the vocabulary lacks", rank, m)
		}
		li, lok := ids.get(left)
		ri, rok := ids.get(right)
		pi, pok := ids.get(append(left, right...))
		if !lok || !rok || !pok {
			return nil, fmt.Errorf("tokenize: merge %d %q names a token the vocabulary lacks", rank, m)
		}
		b.merges.add(li, ri, uint32(rank), pi)
	}
	return b, nil
}

// unspell appends the bytes a byte-level token spells to dst; ok is false
// when s is not a byte-level spelling.
func unspell(dst []byte, s string) ([]byte, bool) {
	for _, r := range s {
		if r < 0 || int(r) >= len(runeBytes) || runeBytes[r] < 0 {
			return dst, false
		}
		dst = append(dst, byte(runeBytes[r]))
	}
	return dst, true
}

// Size is the number of tokens in the vocabulary.
func (b *BPE) Size() int { return b.size }

// merge looks up the pair (l, r): its rank and the token it makes, or
// noRank.
func (b *BPE) merge(l, r int32) (uint32, int32) { return b.merges.get(l, r) }

// Count returns the number of tokens text encodes to, without any chat
// template or begin/end tokens. Added tokens in text count one each (see
// the package comment). Text need not be valid UTF-8: invalid bytes are
// encoded byte by byte.
func (b *BPE) Count(text string) int {
	n := 0
	for len(text) > 0 {
		at, l := b.specials.next(text)
		n += b.countOrdinary(text[:at])
		if l > 0 {
			n++
		}
		text = text[at+l:]
	}
	return n
}

// countOrdinary counts text that holds no added token.
func (b *BPE) countOrdinary(s string) int {
	n := 0
	for i := 0; i < len(s); {
		j := nextPiece(s, i)
		n += b.countPiece(s[i:j])
		i = j
	}
	return n
}

// countPiece counts one pre-tokenized piece, through the word cache.
func (b *BPE) countPiece(p string) int {
	switch len(p) {
	case 1:
		return 1
	case 2:
		if r, _ := b.merge(b.byteID[p[0]], b.byteID[p[1]]); r != noRank {
			return 1
		}
		if _, ok := b.wholeToken(p); ok {
			return 1
		}
		return 2
	}
	if len(p) > maxCachedWord {
		return len(b.encodePiece(p, nil))
	}
	if n, ok := b.words.get(p); ok {
		return n
	}
	var buf [maxCachedWord]int32
	n := len(b.encodePiece(p, buf[:0]))
	b.words.put(p, n)
	return n
}

// Encode returns the token ids of text (no template, no begin/end tokens).
// Counting needs only Count; Encode is for tests and diagnostics.
func (b *BPE) Encode(text string) []int32 {
	var out []int32
	for len(text) > 0 {
		at, l := b.specials.next(text)
		s := text[:at]
		for i := 0; i < len(s); {
			j := nextPiece(s, i)
			out = b.encodePiece(s[i:j], out)
			i = j
		}
		if l > 0 {
			out = append(out, b.addedID(text[at:at+l]))
		}
		text = text[at+l:]
	}
	return out
}

func (b *BPE) addedID(t string) int32 { return b.addedIDs[t] }

// encodePiece appends the tokens of one piece to out, as Ollama's engine
// encodes it (see mergeOllama).
func (b *BPE) encodePiece(p string, out []int32) []int32 {
	return b.mergeOllama(p, out)
}

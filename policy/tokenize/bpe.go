package tokenize

import (
	"fmt"
	"strings"
	"unicode/utf8"
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
	// tokens maps every token, spelled byte-level, to its id, and longest
	// is the most bytes one token spells: Ollama encodes a piece that is a
	// token as that token (see mergeOllama).
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
	longest := 0
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
		case TokenUnused:
			continue
		}
		if ids.add(t, int32(i)) {
			longest = max(longest, utf8.RuneCountInString(t))
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
		id, ok := ids.getString(string(byteRunes[c]))
		if !ok {
			return nil, fmt.Errorf("tokenize: vocabulary has no token for byte 0x%02x (%q)", c, byteRunes[c])
		}
		b.byteID[c] = id
	}
	if len(v.Merges) >= int(noRank) {
		return nil, fmt.Errorf("tokenize: %d merges is too many", len(v.Merges))
	}
	var pair []byte
	for rank, m := range v.Merges {
		l, r, ok := strings.Cut(m, " ")
		if !ok {
			return nil, fmt.Errorf("tokenize: merge %d %q is not \"left right\"", rank, m)
		}
		li, lok := ids.getString(l)
		ri, rok := ids.getString(r)
		pair = append(append(pair[:0], l...), r...)
		pi, pok := ids.get(pair)
		if !lok || !rok || !pok {
			return nil, fmt.Errorf("tokenize: merge %d %q names a token the vocabulary lacks", rank, m)
		}
		b.merges.add(pairKey(li, ri), uint64(rank)<<32|uint64(uint32(pi)))
	}
	return b, nil
}

// Size is the number of tokens in the vocabulary.
func (b *BPE) Size() int { return b.size }

func pairKey(l, r int32) uint64 { return uint64(uint32(l))<<32 | uint64(uint32(r)) }

// merge looks up the pair (l, r): its rank and the token it makes, or
// noRank.
func (b *BPE) merge(l, r int32) (uint32, int32) {
	v, ok := b.merges.get(pairKey(l, r))
	if !ok {
		return noRank, 0
	}
	return uint32(v >> 32), int32(uint32(v))
}

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

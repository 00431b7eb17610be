package tokenize

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Token types, as GGUF and Ollama's /api/show ("tokenizer.ggml.token_type")
// number them. Source: ggml-org/llama.cpp gguf-py/gguf/constants.py
// TokenType.
const (
	TokenNormal      int32 = 1
	TokenUnknown     int32 = 2
	TokenControl     int32 = 3
	TokenUserDefined int32 = 4
	TokenUnused      int32 = 5
	TokenByte        int32 = 6
)

// The tokenizer kinds NewBPE supports, in Ollama's names.
const (
	// ModelGPT2 is "tokenizer.ggml.model" for byte-level BPE.
	ModelGPT2 = "gpt2"
	// PreQwen2 is "tokenizer.ggml.pre" for Qwen2, Qwen2.5 and Qwen3.
	PreQwen2 = "qwen2"
)

// qwen2Pattern is the Split regex of Qwen's tokenizer.json pre_tokenizer,
// which llama.cpp and Ollama name "qwen2". The scanner in pretokenize.go
// implements it; LoadTokenizerJSON recognises it by this exact text.
const qwen2Pattern = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`

// Vocabulary is a tokenizer's data as Ollama's POST /api/show with
// "verbose": true returns it in model_info.
type Vocabulary struct {
	// Model is "tokenizer.ggml.model"; only "gpt2" (byte-level BPE) is
	// supported.
	Model string
	// Pre is "tokenizer.ggml.pre", the pre-tokenizer; only "qwen2" is
	// supported.
	Pre string
	// Tokens is "tokenizer.ggml.tokens": token i's text, spelled with
	// GPT-2's byte-to-unicode table (added tokens are spelled as is).
	Tokens []string
	// Merges is "tokenizer.ggml.merges": "left right" pairs, highest
	// priority first.
	Merges []string
	// TokenTypes is "tokenizer.ggml.token_type", parallel to Tokens. Tokens
	// of type TokenControl or TokenUserDefined are matched whole in text.
	// Nil means every token is TokenNormal.
	TokenTypes []int32
}

// LoadTokenizerJSON reads a Hugging Face tokenizer.json into a Vocabulary:
// model.vocab, model.merges (as "a b" strings or ["a", "b"] pairs) and
// added_tokens (TokenControl when "special", else TokenUserDefined). Ids
// the file leaves unassigned become unused "[PADn]" tokens, as llama.cpp's
// converter does. Pre is "qwen2" when the pre-tokenizer's Split regex is
// Qwen's, else the regex itself, which NewBPE rejects by name.
func LoadTokenizerJSON(r io.Reader) (Vocabulary, error) {
	var f struct {
		AddedTokens []struct {
			ID      int    `json:"id"`
			Content string `json:"content"`
			Special bool   `json:"special"`
		} `json:"added_tokens"`
		PreTokenizer json.RawMessage `json:"pre_tokenizer"`
		Model        struct {
			Type   string            `json:"type"`
			Vocab  map[string]int    `json:"vocab"`
			Merges []json.RawMessage `json:"merges"`
		} `json:"model"`
	}
	if err := json.NewDecoder(r).Decode(&f); err != nil {
		return Vocabulary{}, fmt.Errorf("tokenizer.json: %w", err)
	}
	if f.Model.Type != "BPE" {
		return Vocabulary{}, fmt.Errorf("tokenizer.json: model type %q is not supported (want BPE)", f.Model.Type)
	}
	n := 0
	for _, id := range f.Model.Vocab {
		n = max(n, id+1)
	}
	for _, t := range f.AddedTokens {
		n = max(n, t.ID+1)
	}
	// A vocabulary this large is not a tokenizer; refuse before allocating.
	const maxTokens = 1 << 22
	if n > maxTokens {
		return Vocabulary{}, fmt.Errorf("tokenizer.json: token id %d is out of range", n-1)
	}
	v := Vocabulary{Model: ModelGPT2, Tokens: make([]string, n), TokenTypes: make([]int32, n)}
	assigned := make([]bool, n)
	for tok, id := range f.Model.Vocab {
		if id < 0 {
			return Vocabulary{}, fmt.Errorf("tokenizer.json: token %q has negative id %d", tok, id)
		}
		v.Tokens[id], v.TokenTypes[id], assigned[id] = tok, TokenNormal, true
	}
	for _, t := range f.AddedTokens {
		if t.ID < 0 {
			return Vocabulary{}, fmt.Errorf("tokenizer.json: added token %q has negative id %d", t.Content, t.ID)
		}
		typ := TokenUserDefined
		if t.Special {
			typ = TokenControl
		}
		v.Tokens[t.ID], v.TokenTypes[t.ID], assigned[t.ID] = t.Content, typ, true
	}
	for id, ok := range assigned {
		if !ok {
			v.Tokens[id], v.TokenTypes[id] = fmt.Sprintf("[PAD%d]", id), TokenUnused
		}
	}
	v.Merges = make([]string, len(f.Model.Merges))
	for i, raw := range f.Model.Merges {
		m, err := parseMerge(raw)
		if err != nil {
			return Vocabulary{}, fmt.Errorf("tokenizer.json: merge %d: %w", i, err)
		}
		v.Merges[i] = m
	}
	pre, err := preTokenizerName(f.PreTokenizer)
	if err != nil {
		return Vocabulary{}, fmt.Errorf("tokenizer.json: pre_tokenizer: %w", err)
	}
	v.Pre = pre
	return v, nil
}

// parseMerge accepts both spellings tokenizers has used: "a b" (before
// tokenizers 0.20) and ["a", "b"].
func parseMerge(raw json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var pair []string
	if err := json.Unmarshal(raw, &pair); err != nil || len(pair) != 2 {
		return "", fmt.Errorf("want \"a b\" or [\"a\", \"b\"], got %.40s", raw)
	}
	if strings.Contains(pair[0], " ") || strings.Contains(pair[1], " ") {
		// Byte-level vocabularies spell a space as "Ġ"; a literal one
		// could not be written as "a b" for Ollama's format.
		return "", fmt.Errorf("pair %q contains a space", pair)
	}
	return pair[0] + " " + pair[1], nil
}

// preTokenizerName names the pre-tokenizer the way Ollama does when it is
// Qwen's: a Sequence of Split(qwen2Pattern, Isolated) and a ByteLevel that
// does not split again. Anything else is returned as its regex (or type)
// so that NewBPE's error says what it was.
func preTokenizerName(raw json.RawMessage) (string, error) {
	type split struct {
		Type    string `json:"type"`
		Pattern struct {
			Regex string `json:"Regex"`
		} `json:"pattern"`
		Behavior string `json:"behavior"`
		UseRegex *bool  `json:"use_regex"`
	}
	var seq struct {
		Type          string  `json:"type"`
		PreTokenizers []split `json:"pretokenizers"`
	}
	if len(raw) == 0 || string(raw) == "null" {
		return "none", nil
	}
	if err := json.Unmarshal(raw, &seq); err != nil {
		return "", err
	}
	if seq.Type != "Sequence" || len(seq.PreTokenizers) != 2 {
		return "type " + seq.Type, nil
	}
	sp, bl := seq.PreTokenizers[0], seq.PreTokenizers[1]
	if sp.Type != "Split" || sp.Behavior != "Isolated" {
		return "type " + sp.Type + " " + sp.Behavior, nil
	}
	if bl.Type != "ByteLevel" || bl.UseRegex == nil || *bl.UseRegex {
		return "type " + bl.Type + " with its own regex", nil
	}
	if sp.Pattern.Regex != qwen2Pattern {
		return "regex " + sp.Pattern.Regex, nil
	}
	return PreQwen2, nil
}

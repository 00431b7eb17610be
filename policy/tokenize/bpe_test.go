package tokenize_test

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/policy/tokenize/tokenizetest"
)

// sample is one calibration file with its true Qwen3 token count.
type sample struct {
	name   string
	text   string
	tokens int
}

// loadSamples reads testdata/samples, whose true counts (from the Qwen3
// tokenizer, text alone) are in testdata/counts.tsv.
func loadSamples(tb testing.TB) []sample {
	tb.Helper()
	f, err := os.Open(filepath.Join("testdata", "counts.tsv"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []sample
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) != 3 {
			tb.Fatalf("counts.tsv: bad line %q", sc.Text())
		}
		n, err := strconv.Atoi(fields[0])
		if err != nil {
			tb.Fatal(err)
		}
		text, err := os.ReadFile(filepath.Join("testdata", "samples", fields[2]+".txt"))
		if err != nil {
			tb.Fatal(err)
		}
		if size, _ := strconv.Atoi(fields[1]); size != len(text) {
			tb.Fatalf("%s: %d bytes, counts.tsv says %d", fields[2], len(text), size)
		}
		out = append(out, sample{fields[2], string(text), n})
	}
	if len(out) == 0 {
		tb.Fatal("no samples")
	}
	return out
}

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
		if !names["sample/"+s.name] {
			t.Errorf("%s has no record of Ollama's count", s.name)
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
		texts["sample/"+s.name] = s.text
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

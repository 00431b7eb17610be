//go:build integration

package tokenize_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/providers/ollama/realollama"
)

// Run with
//
//	go test -tags integration ./policy/tokenize/ -run RealOllama [-record]
//
// -record rewrites testdata/ollama/tokens.json from the run.

var record = flag.Bool("record", false, "rewrite "+ollamaTokensPath+" with what this run observed")

func TestMain(m *testing.M) { realollama.Main(m) }

// TestRealOllamaTokenizes has a real Ollama's engine tokenize every
// reference string and every sample (/api/generate with raw, so nothing but
// the text is tokenized) and checks the counter against its token ids (from
// its trace log, OLLAMA_DEBUG=2: tokenizer/bytepairencoding.go logs
// "encoded" with the ids) and prompt_eval_count. -record rewrites
// testdata/ollama/tokens.json, which the unit tests check against.
func TestRealOllamaTokenizes(t *testing.T) {
	// Reference strings are short: their ids come from the trace log.
	// Samples are long, and tracing every token of their prefill would
	// take minutes: their counts come from a server that does not trace.
	s := realollama.Start(t, realollama.Options{Env: []string{"OLLAMA_DEBUG=2"}})
	quiet := realollama.Start(t, realollama.Options{})
	idsRe := regexp.MustCompile(`msg=encoded .* ids="?\[([0-9 ]*)\]`)
	var rec []ollamaTokens
	for _, smp := range loadSamples(t) {
		rec = append(rec, ollamaTokens{Name: "sample/" + smp.Name, Count: generateRaw(t, quiet, smp.Text)})
	}
	for _, r := range loadReference(t) {
		if strings.TrimSpace(r.Text) == "" {
			continue // Ollama does not run an empty prompt
		}
		it := struct{ name, text string }{"reference/" + r.Name, r.Text}
		before := len(s.Log())
		count := generateRaw(t, s, it.text)
		var ids []int32
		for _, m := range idsRe.FindAllStringSubmatch(s.Log()[before:], -1) {
			var got []int32
			for _, f := range strings.Fields(m[1]) {
				n, _ := strconv.Atoi(f)
				got = append(got, int32(n))
			}
			if len(got) == count {
				ids = got
			}
		}
		if ids == nil {
			t.Errorf("%s: no %d ids in the trace log", it.name, count)
			continue
		}
		rec = append(rec, ollamaTokens{Name: it.name, IDs: ids, Count: count})
	}
	checkOllamaTokens(t, rec)
	if *record && !t.Failed() {
		js, _ := json.Marshal(rec)
		if err := os.WriteFile(ollamaTokensPath, append(js, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("recorded %s", ollamaTokensPath)
	}
}

func generateRaw(t *testing.T, s *realollama.Server, prompt string) int {
	t.Helper()
	js, _ := json.Marshal(map[string]any{"model": s.Model, "prompt": prompt, "raw": true, "stream": false,
		"options": map[string]any{"num_predict": 1, "num_ctx": 32768, "temperature": 0}})
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/api/generate", bytes.NewReader(js))
	resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var r struct {
		PromptEvalCount int    `json:"prompt_eval_count"`
		Error           string `json:"error"`
	}
	if err := json.Unmarshal(body, &r); err != nil || r.PromptEvalCount == 0 {
		t.Fatalf("generate: %d %s", resp.StatusCode, body)
	}
	return r.PromptEvalCount
}

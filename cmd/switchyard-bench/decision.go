package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/switchyard/switchyard/ingress/dialects"
	"github.com/switchyard/switchyard/policy"
	"github.com/switchyard/switchyard/policy/tokenize"
	"github.com/switchyard/switchyard/policy/workspace"
	"github.com/switchyard/switchyard/providers/ollama"
	"github.com/switchyard/switchyard/router"
)

// decisionResult is the time the router takes to decide where a 1 MiB
// request goes: decoding it, its features (the directories the agent
// states and their policy files, the files it involves, a credential scan,
// the exact token count) and policy.Decide — Router.Explain, which is the
// chat handler's path up to sending.
type decisionResult struct {
	RequestBytes int     `json:"request_bytes"`
	PromptTokens int     `json:"prompt_tokens"`
	ColdRuns     int     `json:"cold_runs"`
	ColdMedianMS float64 `json:"cold_median_ms"`
	ColdMaxMS    float64 `json:"cold_max_ms"`
	WarmRuns     int     `json:"warm_runs"`
	WarmMedianMS float64 `json:"warm_median_ms"`
	WarmP99MS    float64 `json:"warm_p99_ms"`
	// WarmAllocs and WarmBytes are the heap allocations of one warm
	// decision, on average.
	WarmAllocs float64 `json:"warm_allocs"`
	WarmBytes  float64 `json:"warm_bytes"`
}

// newDecider is a router wired as cmd/switchyard wires one for a local
// model (app.go): the exact Qwen3 counter rendering prompts as Ollama
// does for qwen3-coder:30b (its built-in qwen3-coder renderer), the
// workspace store, file counting and the credential scan. Only Explain is
// called on it, so its provider is never reached.
func newDecider(bpe *tokenize.BPE) *router.Router {
	local := ollama.NewLocal(ollama.LocalOptions{Options: ollama.Options{Name: "local", Model: "qwen3-coder:30b"}, CountTokens: true})
	local.SetFormat(ollama.ModelInfo{Model: "qwen3-coder:30b", Renderer: "qwen3-coder"})
	local.SetTokenizer(bpe)
	return router.New(router.Options{
		Dialects: dialects.All(),
		Upstreams: []*router.Upstream{{Name: "local", Kind: "ollama", Model: "qwen3-coder:30b", Local: true,
			ContextWindow: 1 << 20, SlowAfter: 5 * time.Minute}},
		Settings:  policy.Settings{DefaultPrivacy: policy.Private, HeavyMinFiles: 5, HeavyMinTokens: 100000, Secrets: policy.SecretsLocal, DefaultOutputTokens: 8192},
		Workspace: router.StoreWorkspace(workspace.NewStore(workspace.StoreOptions{})),
		Tokens:    local,
		Inspector: router.PolicyInspector,
	})
}

// measureDecision times Explain on a 1 MiB conversation in a repository
// with a policy file: cold (a new router, tokenizer and caches each run)
// and warm (the conversation seen before, only the last message new).
func measureDecision(c *corpus, vocab tokenize.Vocabulary, dir string, coldRuns, warmRuns int) (*decisionResult, error) {
	repo := filepath.Join(dir, "decision-repo")
	if err := os.MkdirAll(repo, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(repo, ".switchyard.yaml"), []byte("privacy: private\n"), 0o644); err != nil {
		return nil, err
	}
	conv := c.bigConversation(repo, "decision", 1<<20)
	body := func(i int) []byte {
		return conv.request(fmt.Sprintf("#d%d now fix the failing test in file %d and run the tests again", i, i), false)
	}
	res := &decisionResult{RequestBytes: len(body(0)), ColdRuns: coldRuns, WarmRuns: warmRuns}
	h := http.Header{}

	var cold []time.Duration
	for i := range coldRuns {
		bpe, err := tokenize.NewBPE(vocab) // a new tokenizer: no word is cached
		if err != nil {
			return nil, err
		}
		rt := newDecider(bpe)
		b := body(i)
		start := time.Now()
		ex, err := rt.Explain(h, b)
		cold = append(cold, time.Since(start))
		if err != nil {
			return nil, err
		}
		if !ex.TokensExact || ex.Privacy != string(policy.Private) || ex.Chosen == nil {
			return nil, fmt.Errorf("unexpected decision for the 1 MiB request: %+v", ex)
		}
		res.PromptTokens = ex.EstimatedPromptTokens
	}

	bpe, err := tokenize.NewBPE(vocab)
	if err != nil {
		return nil, err
	}
	rt := newDecider(bpe)
	if _, err := rt.Explain(h, body(-1)); err != nil {
		return nil, err
	}
	bodies := make([][]byte, warmRuns)
	for i := range bodies {
		bodies[i] = body(i)
	}
	var warm []time.Duration
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for _, b := range bodies {
		start := time.Now()
		_, err := rt.Explain(h, b)
		warm = append(warm, time.Since(start))
		if err != nil {
			return nil, err
		}
	}
	runtime.ReadMemStats(&after)
	res.WarmAllocs = float64(after.Mallocs-before.Mallocs) / float64(warmRuns)
	res.WarmBytes = float64(after.TotalAlloc-before.TotalAlloc) / float64(warmRuns)
	res.ColdMedianMS, res.ColdMaxMS = ms(percentile(cold, 50)), ms(slices.Max(cold))
	res.WarmMedianMS, res.WarmP99MS = ms(percentile(warm, 50)), ms(percentile(warm, 99))
	return res, nil
}

func ms(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

// tokenizerResult is the exact tokenizer's speed over the samples.
type tokenizerResult struct {
	Bytes      int     `json:"bytes"`
	Tokens     int     `json:"tokens"`
	WarmMBps   float64 `json:"warm_mb_per_s"`
	ColdMBps   float64 `json:"cold_mb_per_s"`
	WarmPasses int     `json:"warm_passes"`
	ColdPasses int     `json:"cold_passes"`
}

// measureTokenizer counts every sample with the real Qwen3 vocabulary:
// warm (the word cache filled by an earlier pass, as in a running daemon)
// and cold (a new tokenizer each pass: every word merged afresh). MB is
// 10^6 bytes.
func measureTokenizer(c *corpus, vocab tokenize.Vocabulary, warmFor time.Duration, coldPasses int) (*tokenizerResult, error) {
	text := c.joined()
	res := &tokenizerResult{Bytes: len(text), ColdPasses: coldPasses}
	var coldTime time.Duration
	for range coldPasses {
		bpe, err := tokenize.NewBPE(vocab)
		if err != nil {
			return nil, err
		}
		start := time.Now()
		res.Tokens = bpe.Count(text)
		coldTime += time.Since(start)
	}
	bpe, err := tokenize.NewBPE(vocab)
	if err != nil {
		return nil, err
	}
	bpe.Count(text)
	start := time.Now()
	for time.Since(start) < warmFor || res.WarmPasses == 0 {
		if n := bpe.Count(text); n != res.Tokens && coldPasses > 0 {
			return nil, fmt.Errorf("the tokenizer counted %d tokens warm and %d cold", n, res.Tokens)
		}
		res.WarmPasses++
	}
	warmTime := time.Since(start)
	res.WarmMBps = float64(len(text)*res.WarmPasses) / warmTime.Seconds() / 1e6
	res.ColdMBps = float64(len(text)*coldPasses) / coldTime.Seconds() / 1e6
	return res, nil
}

package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/switchyard/switchyard/configs"
	"github.com/switchyard/switchyard/policy/tokenize/tokenizetest"
	"github.com/switchyard/switchyard/providers/gemini/geminifake"
	"github.com/switchyard/switchyard/providers/mistral/mistralfake"
	"github.com/switchyard/switchyard/providers/ollama/ollamafake"
)

// fullRig is switchyard with the local fake Ollama (serving the real Qwen3
// vocabulary) and both cloud fakes, and two repositories: one private, one
// public.
type fullRig struct {
	*seedRig
	mistral         *mistralfake.Server
	gemini          *geminifake.Server
	private, public string
}

type rigConfig struct {
	ollamaURL string                // "" = the fake
	edit      func(*configs.Config) // the test's changes, nil for none
}

func startFull(t *testing.T, rc rigConfig) *fullRig {
	t.Helper()
	vocab := tokenizetest.Qwen3Vocabulary(t)
	bpe := tokenizetest.Qwen3BPE(t)
	model := ollamafake.Qwen3Coder30B()
	model.Vocabulary = &ollamafake.Vocabulary{Model: vocab.Model, Pre: vocab.Pre, Tokens: vocab.Tokens, Merges: vocab.Merges, TokenTypes: vocab.TokenTypes}
	fake := ollamafake.New(ollamafake.Options{Models: []ollamafake.Model{model}, CountTokens: bpe.Count})
	up := httptest.NewServer(fake)
	t.Cleanup(up.Close)
	if rc.ollamaURL == "" {
		rc.ollamaURL = up.URL
	}
	ms := mistralfake.Start(mistralfake.Options{})
	t.Cleanup(ms.Close)
	gs := geminifake.New(geminifake.Options{})
	t.Cleanup(gs.Close)

	dir := t.TempDir()
	g := &fullRig{mistral: ms, gemini: gs, private: filepath.Join(dir, "private-repo"), public: filepath.Join(dir, "public-repo")}
	for repo, privacy := range map[string]string{g.private: "private", g.public: "public"} {
		os.MkdirAll(repo, 0o755)
		os.WriteFile(filepath.Join(repo, ".switchyard.yaml"), []byte("privacy: "+privacy+"\n"), 0o644)
	}
	cfg := testConfig(t, dir, rc.ollamaURL)
	cfg.Providers = append(cfg.Providers,
		cloudProvider("devstral", configs.KindMistral, ms.URL, "devstral-latest", "TEST_MISTRAL_KEY", 262144),
		cloudProvider("gemini", configs.KindGemini, gs.URL, "gemini-2.5-pro", "TEST_GEMINI_KEY", 1048576))
	if rc.edit != nil {
		rc.edit(&cfg)
	}
	env := map[string]string{"TEST_MISTRAL_KEY": mistralfake.DefaultAPIKey, "TEST_GEMINI_KEY": "fake-key"}
	g.seedRig = startDaemon(t, dir, cfg, fake, env)
	// The tokenizer is built in the background once Ollama answers.
	if rc.ollamaURL == up.URL {
		waitExact(t, g.url)
	}
	return g
}

// waitReady waits until switchyard at url answers /healthz. It keeps no
// idle connection behind, for the tests that check for leaked goroutines.
func waitReady(t *testing.T, url string) {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := c.Get(url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("switchyard did not start: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitExact waits until explain says the count is exact: the vocabulary
// from the fake's verbose /api/show is in.
func waitExact(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if ex := explainVia(t, url, `{"messages":[{"role":"user","content":"x"}]}`, nil); ex.TokensExact {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the local tokenizer was never built from /api/show")
}

type explained struct {
	Chosen                *string  `json:"chosen"`
	Plan                  []string `json:"plan"`
	Privacy               string   `json:"privacy"`
	PrivacySource         string   `json:"privacy_source"`
	EstimatedPromptTokens int      `json:"estimated_prompt_tokens"`
	TokensExact           bool     `json:"estimated_tokens_exact"`
	LocalWindow           int      `json:"local_window"`
	Predicted             float64  `json:"predicted_local_seconds"`
	ReasonCode            string   `json:"reason_code"`
	Reasons               []string `json:"reasons"`
	Refusal               *struct {
		Code, Message string
	} `json:"refusal"`
}

func explainVia(t *testing.T, url, body string, hdr map[string]string) explained {
	t.Helper()
	req, _ := http.NewRequest("POST", url+"/v1/switchyard/explain", strings.NewReader(body))
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ex explained
	if err := json.NewDecoder(resp.Body).Decode(&ex); err != nil {
		t.Fatal(err)
	}
	return ex
}

// seedPrompt builds a user message of exactly n prompt tokens as the local
// model counts them (5 for the message's template, 3 for the generation
// prompt, the rest " word" tokens).
func seedPrompt(t *testing.T, n int) string {
	bpe := tokenizetest.Qwen3BPE(t)
	if bpe.Count(" word") != 1 || bpe.Count("word") != 1 {
		t.Fatal("' word' is not one token")
	}
	text := "word" + strings.Repeat(" word", n-8-1)
	msg, _ := json.Marshal(map[string]any{"messages": []map[string]string{{"role": "user", "content": text}}})
	return string(msg)
}

// TestSeedArithmetic replays the seed: a 146,760-token job, prefill at
// ~400 tokens/s, a 5-minute local timeout.
func TestSeedArithmetic(t *testing.T) {
	g := startFull(t, rigConfig{edit: func(c *configs.Config) { c.Policy.Heavy.MinTokens, c.Policy.Heavy.MinFiles = 0, 0 }})
	body := seedPrompt(t, 146760)

	pub := explainVia(t, g.url, body, map[string]string{"X-Switchyard-Repo": g.public})
	if pub.EstimatedPromptTokens != 146760 || !pub.TokensExact {
		t.Fatalf("estimate %d exact %v", pub.EstimatedPromptTokens, pub.TokensExact)
	}
	if pub.ReasonCode != "too_slow_for_local" || pub.Chosen == nil || *pub.Chosen != "devstral" || pub.Predicted < 367 {
		t.Errorf("public: %+v", pub)
	}
	if !strings.Contains(strings.Join(pub.Reasons, " "), "over its timeout of 300 s") {
		t.Errorf("reasons %v", pub.Reasons)
	}
	priv := explainVia(t, g.url, body, map[string]string{"X-Switchyard-Repo": g.private})
	if priv.ReasonCode != "private" || len(priv.Plan) != 1 || priv.Plan[0] != "local" ||
		!strings.Contains(strings.Join(priv.Reasons, " "), "served anyway") {
		t.Errorf("private: %+v", priv)
	}
}

// TestSeedWindowCap: with the window the mislabelled definition would
// impose, a private job is refused with the numbers and the fix, and a
// public one goes to the cloud.
func TestSeedWindowCap(t *testing.T) {
	g := startFull(t, rigConfig{edit: func(c *configs.Config) { c.Providers[0].ContextWindow = 131072 }})
	body := seedPrompt(t, 146760)
	priv := explainVia(t, g.url, body, map[string]string{"X-Switchyard-Repo": g.private})
	if priv.Refusal == nil || priv.Refusal.Code != "context_length_exceeded" {
		t.Fatalf("private: %+v", priv)
	}
	for _, want := range []string{"146760", "131072", "262144", "private"} {
		if !strings.Contains(priv.Refusal.Message, want) {
			t.Errorf("refusal lacks %s: %s", want, priv.Refusal.Message)
		}
	}
	// The real request gets the same answer, and Ollama never sees it.
	before := len(g.fake.ChatRequests())
	req, _ := http.NewRequest("POST", g.url+"/v1/chat/completions", strings.NewReader(body))
	req.Header.Set("X-Switchyard-Repo", g.private)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || resp.Header.Get("X-Switchyard-Reason") != "context_length_exceeded" || len(g.fake.ChatRequests()) != before {
		t.Errorf("status %d reason %s", resp.StatusCode, resp.Header.Get("X-Switchyard-Reason"))
	}
	pub := explainVia(t, g.url, body, map[string]string{"X-Switchyard-Repo": g.public})
	if pub.ReasonCode != "heavy" && pub.ReasonCode != "too_large_for_local" || pub.Chosen == nil || *pub.Chosen == "local" {
		t.Errorf("public: %+v", pub)
	}
}

// TestSlowPrivateServedWithKeepAlives: scaled down so it runs in seconds. A
// job predicted to outlast the local timeout goes to the cloud when public;
// when private it is served locally, with keep-alive comments during the
// silent prefill, and not cut off.
func TestSlowPrivateServedWithKeepAlives(t *testing.T) {
	g := startFull(t, rigConfig{edit: func(c *configs.Config) {
		c.Providers[0].PrefillTokensPerSecond, c.Providers[0].SlowAfter = 1000, time.Second
		c.Server.KeepAliveInterval = 200 * time.Millisecond
	}})
	body := strings.TrimSuffix(seedPrompt(t, 3000), "}") + `,"stream":true}`

	pub := explainVia(t, g.url, body, map[string]string{"X-Switchyard-Repo": g.public})
	if pub.ReasonCode != "too_slow_for_local" {
		t.Errorf("public: %+v", pub)
	}

	g.fake.Enqueue(ollamafake.Reply{FirstChunkDelay: 1500 * time.Millisecond, Steps: []ollamafake.Step{{Content: "slow but whole"}}})
	req, _ := http.NewRequest("POST", g.url+"/v1/chat/completions", strings.NewReader(body))
	req.Header.Set("X-Switchyard-Repo", g.private)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	s := string(raw)
	if n := strings.Count(s, ": keep-alive\n\n"); n < 3 {
		t.Errorf("%d keep-alives in:\n%s", n, s)
	}
	if !strings.Contains(s, "slow but whole") || !strings.HasSuffix(s, "data: [DONE]\n\n") || resp.Header.Get("X-Switchyard-Route") != "local" {
		t.Errorf("route %s stream:\n%s", resp.Header.Get("X-Switchyard-Route"), s)
	}
	if len(g.mistral.Requests())+len(g.gemini.Requests()) != 0 {
		t.Fatal("a private job reached a cloud fake")
	}

	// go-openai reads through the keep-alives.
	g.fake.Enqueue(ollamafake.Reply{FirstChunkDelay: 700 * time.Millisecond, Steps: []ollamafake.Step{{Content: "ok"}}})
	var oreq openai.ChatCompletionRequest
	json.Unmarshal([]byte(body), &oreq)
	st, err := clientFor(g.url, map[string]string{"X-Switchyard-Repo": g.private}).CreateChatCompletionStream(context.Background(), oreq)
	if err != nil {
		t.Fatal(err)
	}
	text, _ := readStream(t, st)
	if text != "ok" {
		t.Errorf("go-openai read %q", text)
	}
}

// clientFor returns a go-openai client for switchyard at url that sends
// these headers with every request.
func clientFor(url string, hdr map[string]string) *openai.Client {
	cfg := openai.DefaultConfig("unused")
	cfg.BaseURL = url + "/v1"
	cfg.HTTPClient = &http.Client{Transport: headerTransport(hdr)}
	return openai.NewClientWithConfig(cfg)
}

type headerTransport map[string]string

func (h headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range h {
		r.Header.Set(k, v)
	}
	return http.DefaultTransport.RoundTrip(r)
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/switchyard/switchyard/configs"
	"github.com/switchyard/switchyard/providers/gemini/geminifake"
	"github.com/switchyard/switchyard/providers/mistral/mistralfake"
	"github.com/switchyard/switchyard/providers/ollama/ollamafake"
	"github.com/switchyard/switchyard/providers/openaicompat/openaifake"
)

// seedRig runs `switchyard serve` in-process against a fake Ollama with the
// seed's setup: qwen3-coder:30b, native window 262144, a model definition
// that says num_ctx 131072.
type seedRig struct {
	fake   *ollamafake.Server
	url    string
	client *openai.Client
	dir    string
	cancel context.CancelFunc
	done   chan error
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// seedConfig is testConfig with the seed issue's body limit, 1 MiB.
func seedConfig(t *testing.T, dir, ollamaURL string) configs.Config {
	t.Helper()
	cfg := testConfig(t, dir, ollamaURL)
	cfg.Server.MaxBodyBytes = 1 << 20
	return cfg
}

func startSeed(t *testing.T, env map[string]string) *seedRig {
	t.Helper()
	fake := ollamafake.New(ollamafake.Options{Models: []ollamafake.Model{ollamafake.Qwen3Coder30B()}})
	up := httptest.NewServer(fake)
	t.Cleanup(up.Close)
	dir := t.TempDir()
	return startDaemon(t, dir, seedConfig(t, dir, up.URL), fake, env)
}

// runServe runs `switchyard serve` in-process with the config at path
// (which listens on listen), waits until it answers, and stops it when the
// test ends.
func runServe(t *testing.T, fake *ollamafake.Server, listen, dir, path string, env map[string]string) *seedRig {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	g := &seedRig{fake: fake, url: "http://" + listen, dir: dir, cancel: cancel, done: make(chan error, 1)}
	go func() {
		g.done <- serve(ctx, path, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	}()
	t.Cleanup(func() { g.stop(t) })
	waitReady(t, g.url)
	g.client = clientFor(g.url, nil)
	return g
}

func (g *seedRig) stop(t *testing.T) {
	if g.cancel == nil {
		return
	}
	g.cancel()
	g.cancel = nil
	select {
	case err := <-g.done:
		if err != nil {
			t.Errorf("serve returned %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Error("serve did not stop")
	}
}

// TestSeedAcceptance drives the daemon as issue 2's acceptance does.
func TestSeedAcceptance(t *testing.T) {
	g := startSeed(t, nil)
	ctx := context.Background()

	g.fake.Enqueue(ollamafake.Text("Hello", " there"))
	resp, err := g.client.CreateChatCompletion(ctx, openai.ChatCompletionRequest{Model: "auto", Messages: []openai.ChatCompletionMessage{{Role: "user", Content: "hi"}}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Choices[0].Message.Content != "Hello there" || resp.Usage.PromptTokens == 0 || resp.Header().Get("X-Switchyard-Route") != "local" {
		t.Errorf("plain: %+v %v", resp, resp.Header())
	}
	reqs := g.fake.ChatRequests()
	last := reqs[len(reqs)-1]
	if last.NumCtx() != 262144 || last.Truncate == nil || *last.Truncate {
		t.Errorf("Ollama received num_ctx %d truncate %v; want 262144 and false", last.NumCtx(), last.Truncate)
	}

	// Streamed, with the usage chunk.
	g.fake.Enqueue(ollamafake.Text("a", "b", "c"))
	st, err := g.client.CreateChatCompletionStream(ctx, openai.ChatCompletionRequest{Model: "auto", Stream: true,
		StreamOptions: &openai.StreamOptions{IncludeUsage: true}, Messages: []openai.ChatCompletionMessage{{Role: "user", Content: "abc"}}})
	if err != nil {
		t.Fatal(err)
	}
	text, usage := readStream(t, st)
	if text != "abc" || usage == nil || usage.PromptTokens == 0 {
		t.Errorf("stream %q usage %+v", text, usage)
	}

	// A tool-call round trip.
	tools := []openai.Tool{{Type: "function", Function: &openai.FunctionDefinition{Name: "write_file",
		Parameters: json.RawMessage(`{"type":"object","properties":{"path":{"type":"string"},"content":{"type":"string"}}}`)}}}
	g.fake.Enqueue(ollamafake.Reply{Steps: []ollamafake.Step{{ToolCalls: []ollamafake.ScriptedCall{{Name: "write_file", Arguments: `{"path":"a.txt","content":"x"}`}}}}})
	msgs := []openai.ChatCompletionMessage{{Role: "user", Content: "write a.txt"}}
	resp, err = g.client.CreateChatCompletion(ctx, openai.ChatCompletionRequest{Model: "auto", Messages: msgs, Tools: tools})
	if err != nil || len(resp.Choices[0].Message.ToolCalls) != 1 || resp.Choices[0].FinishReason != "tool_calls" {
		t.Fatalf("tool call: %+v %v", resp, err)
	}
	call := resp.Choices[0].Message.ToolCalls[0]
	msgs = append(msgs, resp.Choices[0].Message, openai.ChatCompletionMessage{Role: "tool", ToolCallID: call.ID, Content: "written"})
	g.fake.Enqueue(ollamafake.Text("Done."))
	resp, err = g.client.CreateChatCompletion(ctx, openai.ChatCompletionRequest{Model: "auto", Messages: msgs, Tools: tools})
	if err != nil || resp.Choices[0].Message.Content != "Done." {
		t.Fatalf("after the tool: %+v %v", resp, err)
	}
	reqs = g.fake.ChatRequests()
	sent := reqs[len(reqs)-1].Messages
	if len(sent) != 3 || sent[2].Role != "tool" || sent[2].ToolName != "write_file" {
		t.Errorf("the tool result went to Ollama as %+v", sent)
	}

	// The model list.
	models, err := g.client.ListModels(ctx)
	if err != nil || len(models.Models) < 3 || models.Models[0].ID != "auto" {
		t.Errorf("models %+v %v", models, err)
	}

	// Malformed and oversized bodies.
	for _, c := range []struct {
		body   []byte
		status int
		code   string
	}{
		{[]byte(`{"messages":`), 400, "invalid_request"},
		{[]byte(`{"model":"auto"}`), 400, "invalid_request"},
		{[]byte(`{"messages":[{"role":"user","content":"` + strings.Repeat("x", 2<<20) + `"}]}`), 413, "request_too_large"},
	} {
		r, err := http.Post(g.url+"/v1/chat/completions", "application/json", bytes.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		var env struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		json.NewDecoder(r.Body).Decode(&env)
		r.Body.Close()
		if r.StatusCode != c.status || env.Error.Code != c.code || r.Header.Get("X-Switchyard-Route") != "none" {
			t.Errorf("%d %q: got %d %+v", c.status, c.code, r.StatusCode, env)
		}
	}

	// Readiness reports the window and the definition's cap.
	r, _ := http.Get(g.url + "/readyz")
	body, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if !strings.Contains(string(body), `"context_window":262144`) {
		t.Errorf("readyz %s", body)
	}
	g.stop(t)
}

// TestDoctorSeed: doctor finds the seed's v-128k label bug and says it in
// exactly the words.
func TestDoctorSeed(t *testing.T) {
	fake := ollamafake.New(ollamafake.Options{Models: []ollamafake.Model{ollamafake.Qwen3Coder30B()}})
	up := httptest.NewServer(fake)
	defer up.Close()
	dir := t.TempDir()
	cfg := seedConfig(t, dir, up.URL)
	cfg.Providers = append(cfg.Providers, cloudProvider("devstral", configs.KindMistral, "http://127.0.0.1:1/v1", "mistral-medium-3-5", "MISTRAL_TEST_KEY_UNSET", 262144))
	path := writeConfigOf(t, dir, cfg)
	r, s := doctorText(t, path, nil)
	for _, want := range []string{
		"model definition caps num_ctx at 131072; the model supports 262144; switchyard sends num_ctx=262144",
		"✓ local ollama",
		"! devstral key: MISTRAL_TEST_KEY_UNSET is not set",
		"! local slow_after: prefilling a full 262144-token window takes about 655 s at 400 tokens/s, over slow_after (5m0s)",
		"fix: nothing to do if that is intended; raise slow_after in provider local",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("doctor lacks %q:\n%s", want, s)
		}
	}
	if r.failed() {
		t.Errorf("the seed setup is fixable by switchyard; nothing should fail:\n%s", s)
	}

	// Ollama down: a failing check, exit 1.
	up.Close()
	r = runDoctor(context.Background(), path, nil, func(string) (string, bool) { return "", false })
	if !r.failed() {
		t.Error("an unreachable Ollama did not fail")
	}
}

// TestDoctorCloudModels: doctor asks each cloud whether its model id still
// exists; a deprecated one warns with the vendor's date and replacement, and
// one the vendor no longer serves fails. An id the table of retired ids
// lists fails without asking, even where the vendor still answers for it.
func TestDoctorCloudModels(t *testing.T) {
	retire := time.Date(2027, 7, 31, 0, 0, 0, 0, time.UTC)
	ms := mistralfake.Start(mistralfake.Options{Models: []mistralfake.Model{
		{ID: "mistral-medium-3-5", Deprecation: &retire, Replacement: "mistral-medium-4"},
		{ID: "devstral-2512", Aliases: []string{"devstral-latest"}},
	}})
	defer ms.Close()
	gs := geminifake.New(geminifake.Options{Models: []string{"gemini-2.5-pro", "gemini-3.8-flash"}})
	defer gs.Close()
	fake := ollamafake.New(ollamafake.Options{Models: []ollamafake.Model{ollamafake.Qwen3Coder30B()}})
	up := httptest.NewServer(fake)
	defer up.Close()
	dir := t.TempDir()
	cfg := seedConfig(t, dir, up.URL)
	cfg.Providers = append(cfg.Providers,
		cloudProvider("devstral", configs.KindMistral, ms.URL, "mistral-medium-3-5", "K1", 262144),
		cloudProvider("devstral-old", configs.KindMistral, ms.URL, "devstral-latest", "K1", 262144),
		cloudProvider("gemini", configs.KindGemini, gs.URL, "gemini-2.5-pro", "K2", 1048576),
		cloudProvider("gemini-gone", configs.KindGemini, gs.URL, "gemini-0.9-gone", "K2", 1048576))
	path := writeConfigOf(t, dir, cfg)
	env := map[string]string{"K1": mistralfake.DefaultAPIKey, "K2": "fake-key"}
	r := runDoctor(context.Background(), path, nil, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	var out bytes.Buffer
	printReport(&out, r)
	s := out.String()
	for _, want := range []string{
		`! devstral model: mistral: model "mistral-medium-3-5" is deprecated as of 2027-07-31; mistral names "mistral-medium-4" as its replacement`,
		"✗ devstral-old model: Mistral retired devstral-latest on 2026-07-31 — fix: set model: mistral-medium-3-5, which Mistral names as its replacement",
		"✗ gemini model: Google retired gemini-2.5-pro on 2026-12-01 — fix: set model: gemini-3.8-flash, which Google names as its replacement",
		"✗ gemini-gone model: gemini-0.9-gone: ",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("doctor lacks %q:\n%s", want, s)
		}
	}
	if strings.Count(s, "devstral-old model") != 1 || strings.Count(s, "gemini model") != 1 {
		t.Errorf("a retired id was also asked about:\n%s", s)
	}
	for _, k := range env {
		if strings.Contains(s, k) {
			t.Errorf("doctor printed a key")
		}
	}
	var js bytes.Buffer
	cmd := doctorCmd()
	cmd.SetArgs([]string{"--config", path, "--json"})
	cmd.SetOut(&js)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true // as under the root command
	t.Setenv("K1", env["K1"])
	t.Setenv("K2", env["K2"])
	err := cmd.Execute()
	var ee exitError
	if !errors.As(err, &ee) || ee.code != 1 || !json.Valid(js.Bytes()) || !strings.Contains(js.String(), `"status": "fail"`) {
		t.Errorf("--json: %v\n%s", err, js.String())
	}
}

// readStream reads a go-openai stream to its end: the text and the usage.
func readStream(t *testing.T, st *openai.ChatCompletionStream) (string, *openai.Usage) {
	t.Helper()
	defer st.Close()
	var text string
	var usage *openai.Usage
	for {
		c, err := st.Recv()
		if errors.Is(err, io.EOF) {
			return text, usage
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Choices) > 0 {
			text += c.Choices[0].Delta.Content
		}
		if c.Usage != nil {
			usage = c.Usage
		}
	}
}

// TestDoctorPoolsAndEngines: doctor says which members of a pool can take
// jobs, and what a local engine without context_window says of its window.
func TestDoctorPoolsAndEngines(t *testing.T) {
	fake := ollamafake.New(ollamafake.Options{Models: []ollamafake.Model{ollamafake.Qwen3Coder30B()}})
	up := httptest.NewServer(fake)
	defer up.Close()
	vllm := httptest.NewServer(openaifake.New("qwen3-coder").VLLM(40960))
	defer vllm.Close()
	bare := httptest.NewServer(openaifake.New("qwen3-coder"))
	defer bare.Close()
	dir := t.TempDir()
	cfg := testConfig(t, dir, up.URL)
	yes := true
	spark := ollamaProvider("spark", "http://127.0.0.1:1")
	spark.Local, spark.ContextWindow = &yes, 32768
	engine := configs.Provider{Name: "engine", Kind: configs.KindOpenAI, Local: &yes, BaseURL: vllm.URL + "/v1", Model: "qwen3-coder"}
	studio := configs.Provider{Name: "studio", Kind: configs.KindOpenAI, Local: &yes, BaseURL: bare.URL + "/v1", Model: "qwen3-coder"}
	cfg.Providers = append(cfg.Providers, spark, engine, studio)
	cfg.Pools = []configs.Pool{{Name: "office", Members: []string{"local", "spark", "engine"}}}
	_, s := doctorText(t, writeConfigOf(t, dir, cfg), nil)
	for _, want := range []string{
		"✓ engine window: engine (vllm) says a request may use 40960 tokens",
		"✗ studio window: studio: the engine does not say its window",
		"! pool office: local (window 262144), engine (window 40960) can take jobs; spark (",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("doctor lacks %q:\n%s", want, s)
		}
	}
}

// doctorText runs doctor on the configuration at path with env as the
// environment, and returns its report and the report as printed.
func doctorText(t *testing.T, path string, env map[string]string) (*report, string) {
	t.Helper()
	r := runDoctor(context.Background(), path, nil, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	var out bytes.Buffer
	printReport(&out, r)
	return r, out.String()
}

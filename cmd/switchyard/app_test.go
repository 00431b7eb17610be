package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchyard/switchyard/configs"
	"github.com/switchyard/switchyard/providers/openaicompat/openaifake"
)

// TestBundledConfigWithoutKeys: the README's first command runs the bundled
// config on a machine with no cloud keys; switchyard must start local-only
// and say why the clouds are unavailable.
func TestBundledConfigWithoutKeys(t *testing.T) {
	none := func(string) (string, bool) { return "", false }
	cfg, err := configs.Read(nil, configs.BuiltIn, none)
	if err != nil {
		t.Fatal(err)
	}
	a, err := build(context.Background(), cfg, slog.New(slog.DiscardHandler), none, appExtras{})
	if err != nil {
		t.Fatalf("the bundled config does not build without keys: %v", err)
	}
	defer a.close()
	for _, name := range []string{"devstral", "gemini"} {
		u := a.upstream(name)
		if u == nil || u.Provider != nil || !strings.Contains(u.Unavailable, "_API_KEY is not set") {
			t.Errorf("%s: %+v", name, u)
		}
	}
	ex, err := a.router.Explain(http.Header{}, []byte(`{"model":"gemini","messages":[{"role":"user","content":"x"}]}`))
	if err != nil || ex.Refusal == nil || ex.Refusal.Code != "privacy_policy" {
		t.Errorf("%+v %v", ex, err)
	}
}

// TestPoolsAndLocality builds a configuration with a pool of this
// machine's Ollama and one on premises, and an Ollama that says it is not
// local: the members are pooled, and the one that said local: false is a
// cloud to the router, which a private job never reaches.
func TestPoolsAndLocality(t *testing.T) {
	const yaml = `providers:
  - name: local
    kind: ollama
    base_url: http://127.0.0.1:1
    model: qwen3-coder:30b
  - name: spark
    kind: ollama
    base_url: http://192.168.1.20:11434
    local: true
    model: qwen3-coder:30b
  - name: rented
    kind: ollama
    base_url: http://203.0.113.9:11434
    local: false
    model: qwen3-coder:30b
    context_window: 262144
pools:
  - name: office
    members: [local, spark]
    affinity_margin: 0.5
`
	a := buildYAML(t, yaml)
	for _, name := range []string{"local", "spark"} {
		if u := a.upstream(name); !u.Local || u.Pool != "office" || u.AffinityMargin != 0.5 {
			t.Errorf("%s: local %v, pool %q, margin %v", name, u.Local, u.Pool, u.AffinityMargin)
		}
	}
	if u := a.upstream("rented"); u.Local || u.Pool != "" {
		t.Errorf("rented (local: false): local %v, pool %q", u.Local, u.Pool)
	}
	ex, err := a.router.Explain(http.Header{}, []byte(`{"model":"rented","messages":[{"role":"user","content":"x"}]}`))
	if err != nil || ex.Refusal == nil || ex.Refusal.Code != "privacy_policy" {
		t.Errorf("a private job pinned to rented: %+v %v", ex, err)
	}
}

// TestLocalEngineSaysItsWindow: a local OpenAI-compatible engine without
// context_window is asked for its window (here vLLM's max_model_len, then
// llama.cpp's slot n_ctx), and routing uses what it said.
func TestLocalEngineSaysItsWindow(t *testing.T) {
	for _, tc := range []struct {
		name string
		fake *openaifake.Server
		want int
	}{
		{"vllm", openaifake.New("qwen3-coder").VLLM(40960), 40960},
		{"llama.cpp", openaifake.New("qwen3-coder").LlamaCpp(16384, 262144), 16384},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.fake)
			defer srv.Close()
			yaml := "providers:\n  - name: engine\n    kind: openai\n    local: true\n    model: qwen3-coder\n    base_url: " + srv.URL + "/v1\n"
			a := buildYAML(t, yaml)
			ex, err := a.router.Explain(http.Header{}, []byte(`{"messages":[{"role":"user","content":"x"}]}`))
			if err != nil || ex.Chosen == nil || *ex.Chosen != "engine" || ex.LocalWindow != tc.want {
				t.Fatalf("explain: %+v %v; want engine with window %d", ex, err, tc.want)
			}
			big := `{"max_tokens":100,"messages":[{"role":"user","content":"` + strings.Repeat("word ", tc.want) + `"}]}`
			if ex, err := a.router.Explain(http.Header{}, []byte(big)); err != nil || ex.Refusal == nil || ex.Refusal.Code != "context_length_exceeded" {
				t.Errorf("a job over the engine's window: %+v %v", ex, err)
			}
			// A turn in every dialect, whole and streamed, through the
			// HTTP surface to the engine.
			sy := httptest.NewServer(a.router)
			defer sy.Close()
			for _, d := range []struct{ path, body string }{
				{"/v1/chat/completions", `{"messages":[{"role":"user","content":"hello engine"}]}`},
				{"/v1/chat/completions", `{"stream":true,"messages":[{"role":"user","content":"hello engine"}]}`},
				{"/v1/messages", `{"model":"auto","max_tokens":100,"messages":[{"role":"user","content":"hello engine"}]}`},
				{"/v1/messages", `{"model":"auto","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"hello engine"}]}`},
				{"/v1/responses", `{"model":"auto","input":"hello engine"}`},
				{"/v1/responses", `{"model":"auto","input":"hello engine","stream":true}`},
				{"/v1beta/models/auto:generateContent", `{"contents":[{"role":"user","parts":[{"text":"hello engine"}]}]}`},
				{"/v1beta/models/auto:streamGenerateContent?alt=sse", `{"contents":[{"role":"user","parts":[{"text":"hello engine"}]}]}`},
			} {
				resp, err := http.Post(sy.URL+d.path, "application/json", strings.NewReader(d.body))
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Switchyard-Route") != "engine" || !strings.Contains(string(b), "hello engine") {
					t.Errorf("%s %s: %d route %q: %.300s", d.path, d.body, resp.StatusCode, resp.Header.Get("X-Switchyard-Route"), b)
				}
			}
		})
	}
}

// buildYAML builds the app of a configuration file's text, with no keys in
// the environment; it is closed when the test ends.
func buildYAML(t *testing.T, yaml string) *app {
	t.Helper()
	none := func(string) (string, bool) { return "", false }
	cfg, err := configs.Read(strings.NewReader(yaml), "t.yaml", none)
	if err != nil {
		t.Fatal(err)
	}
	a, err := build(context.Background(), cfg, slog.New(slog.DiscardHandler), none, appExtras{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.close)
	return a
}

// TestEngineLearnsItsSpeed: a local OpenAI-compatible engine, which times
// nothing in its answers, is learnt from the time to its first streamed
// chunk. The engine here takes 300 ms to its first byte on a prompt of a
// few thousand tokens, far slower than the configured estimate; after
// three streamed replies the prediction the router plans with (and the
// status page draws) is that slowness. A whole reply teaches nothing of
// the speed; every reply's usage teaches the engine's token ratio.
func TestEngineLearnsItsSpeed(t *testing.T) {
	const delay = 300 * time.Millisecond
	fake := openaifake.New("qwen3-coder").LlamaCpp(32768, 262144)
	a := engineApp(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/chat/completions" {
			time.Sleep(delay) // the prefill
		}
		fake.ServeHTTP(w, r)
	}, "    prefill_tokens_per_second: 100000\n")
	u := a.upstream("engine")
	if u.Speed == nil || u.Predict == nil || u.Timed == nil {
		t.Fatalf("a local engine learns no speed: %+v", u)
	}
	before, _ := u.Predict(4000, 1)
	srv := httptest.NewServer(a.router)
	defer srv.Close()
	send := func(i int, stream bool) {
		t.Helper()
		text := strings.Repeat(fmt.Sprintf("line %d of a file the agent read; ", i), 400)
		body, _ := json.Marshal(map[string]any{"model": "auto", "stream": stream,
			"messages": []map[string]string{{"role": "user", "content": text}}})
		resp, err := http.Post(srv.URL+"/v1/chat/completions", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Switchyard-Route") != "engine" {
			t.Fatalf("HTTP %d via %q: %s", resp.StatusCode, resp.Header.Get("X-Switchyard-Route"), b)
		}
		if stream && bytes.Contains(b, []byte(`"usage"`)) {
			// switchyard asked the engine for usage; the client did not.
			t.Errorf("a client that did not ask for usage got it:\n%s", b)
		}
	}
	send(0, false)
	if n := u.Speed.Observed(); n != 0 {
		t.Fatalf("a whole reply taught %d observations", n)
	}
	for i := 1; i <= 3; i++ {
		send(i, true)
	}
	points := u.Speed.Points()
	if len(points) != 3 {
		t.Fatalf("%d observed points after three streamed replies, want 3", len(points))
	}
	for _, p := range points {
		if p.Seconds < delay.Seconds() || p.Prompt < 2000 {
			t.Errorf("observed %+v: the engine took at least %s over more than 2000 tokens", p, delay)
		}
	}
	// What the engine counted teaches the ratio of its tokenizer to
	// switchyard's (the fake counts a token per four bytes of the body).
	if f := u.TokenFactor(); f == 1 || f < 0.5 || f > 3 {
		t.Errorf("token factor %v after four replies with usage", f)
	}
	after, _ := u.Predict(4000, 1)
	if tps := u.Speed.PrefillTPSAt(4000); tps > 20000 || after < 5*before {
		t.Errorf("after three slow prefills: %.0f tokens/s, 4000 tokens predicted at %.2f s (%.3f s before)", tps, after, before)
	}
}

// TestPoolOfEnginesGoesByTheirLoad: a pool of two local OpenAI-compatible
// engines (vLLM and llama.cpp in shape), equal but for the requests of
// other clients one of them is serving: the app reads each engine's load
// in the background, /readyz shows it, and the job goes to the engine
// that says it is less busy.
func TestPoolOfEnginesGoesByTheirLoad(t *testing.T) {
	vllm := openaifake.New("qwen3-coder").VLLM(40960)
	llama := openaifake.New("qwen3-coder").LlamaCpp(40960, 262144)
	vs, ls := httptest.NewServer(vllm), httptest.NewServer(llama)
	defer vs.Close()
	defer ls.Close()
	yaml := "providers:\n" +
		"  - name: vllm\n    kind: openai\n    local: true\n    model: qwen3-coder\n    base_url: " + vs.URL + "/v1\n" +
		"  - name: llama\n    kind: openai\n    local: true\n    model: qwen3-coder\n    base_url: " + ls.URL + "/v1\n" +
		"pools:\n  - name: office\n    members: [vllm, llama]\n"
	a := buildYAML(t, yaml)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a.start(ctx, slog.New(slog.DiscardHandler))
	vllm.SetLoad(1, 3)
	sy := httptest.NewServer(a.router)
	defer sy.Close()
	var ready string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get(sy.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if ready = string(b); strings.Contains(ready, `"engine_running":1,"engine_waiting":3`) && strings.Contains(ready, `"engine_running":0,"engine_waiting":0`) {
			break
		}
	}
	if !strings.Contains(ready, `"engine_running":1,"engine_waiting":3`) || !strings.Contains(ready, `"engine_running":0,"engine_waiting":0`) {
		t.Fatalf("/readyz does not show both engines' load: %s", ready)
	}
	resp, err := http.Post(sy.URL+"/v1/chat/completions", "application/json", strings.NewReader(`{"messages":[{"role":"user","content":"hello engine"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	io.ReadAll(resp.Body)
	resp.Body.Close()
	if r := resp.Header.Get("X-Switchyard-Route"); r != "llama" || llama.Chats() != 1 || vllm.Chats() != 0 {
		t.Fatalf("the job went to %q (vllm %d chats, llama %d); want llama, whose engine is idle", r, vllm.Chats(), llama.Chats())
	}
}

// TestEngineCountsNearItsWindow: a job whose estimate comes near a local
// engine's window is counted by the engine. Here the engine's tokenizer
// makes about twice as many tokens of the text as switchyard's estimate:
// a private job the estimate says fits the engine's 8192 tokens does not,
// and is refused with the engine's numbers instead of being sent to fail
// there; a small job is not counted at all.
//
// The big job goes first: a reply's usage also teaches the ratio of the
// engine's counts to switchyard's (TestEngineLearnsItsSpeed), which would
// refuse it without a count.
func TestEngineCountsNearItsWindow(t *testing.T) {
	fake := openaifake.New("qwen3-coder").VLLM(8192).BytesPerToken(2)
	var counted atomic.Int32
	a := engineApp(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/tokenize" {
			counted.Add(1)
		}
		fake.ServeHTTP(w, r)
	}, "")
	srv := httptest.NewServer(a.router)
	defer srv.Close()
	post := func(text string) (*http.Response, []byte) {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"model": "auto", "max_tokens": 100,
			"messages": []map[string]string{{"role": "user", "content": text}}})
		resp, err := http.Post(srv.URL+"/v1/chat/completions", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	big := strings.Repeat("func handle(w http.ResponseWriter, r *http.Request) { serve(w, r) }\n", 330)
	resp, b := post(big)
	estimated, _ := strconv.Atoi(resp.Header.Get("X-Switchyard-Estimated-Tokens"))
	if counted.Load() != 1 || resp.StatusCode != http.StatusBadRequest || !bytes.Contains(b, []byte("context_length_exceeded")) {
		t.Fatalf("a job of %d estimated tokens: HTTP %d after %d counts: %s", estimated, resp.StatusCode, counted.Load(), b)
	}
	if estimated+100 > 8192 || !bytes.Contains(b, []byte("8192")) {
		t.Errorf("the estimate (%d tokens) should fit, and the refusal name the window: %s", estimated, b)
	}
	if fake.Chats() != 0 {
		t.Errorf("the engine got %d chats for a job it cannot hold", fake.Chats())
	}
	if resp, b := post("fix the failing test in main_test.go"); resp.StatusCode != 200 || counted.Load() != 1 {
		t.Fatalf("a small job: HTTP %d, %d counts at the engine: %s", resp.StatusCode, counted.Load(), b)
	}
}

// engineApp builds the app of one local OpenAI-compatible engine, named
// engine, served by h, with more of its provider entry's YAML.
func engineApp(t *testing.T, h http.HandlerFunc, more string) *app {
	t.Helper()
	engine := httptest.NewServer(h)
	t.Cleanup(engine.Close)
	return buildYAML(t, "providers:\n  - name: engine\n    kind: openai\n    local: true\n    base_url: "+
		engine.URL+"/v1\n    model: qwen3-coder\n"+more)
}

// TestEngineLearnsFromItsTimings: llama.cpp says on its last chunk what
// its prompt cache held (cache_n) and how long the rest took (prompt_ms).
// The engine here prefills 20,000 tokens/s but answers 300 ms later than
// that (a queue, the network): the speed learnt is the engine's, not the
// wait's, and a turn that extends the last one found it cached, as the
// engine says, and teaches nothing of the speed.
func TestEngineLearnsFromItsTimings(t *testing.T) {
	fake := openaifake.New("qwen3-coder").LlamaCpp(65536, 262144).PrefillTokensPerSecond(20000)
	a := engineApp(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/chat/completions" {
			time.Sleep(300 * time.Millisecond)
		}
		fake.ServeHTTP(w, r)
	}, "    prefill_tokens_per_second: 15000\n")
	u := a.upstream("engine")
	srv := httptest.NewServer(a.router)
	defer srv.Close()
	file := strings.Repeat("func handle(w http.ResponseWriter, r *http.Request) { serve(w, r) }\n", 450)
	messages := []map[string]string{{"role": "user", "content": "read this file:\n" + file}}
	for turn := range 2 {
		body, _ := json.Marshal(map[string]any{"model": "auto", "stream": true, "max_tokens": 100, "messages": messages})
		resp, err := http.Post(srv.URL+"/v1/chat/completions", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("turn %d: HTTP %d: %s", turn, resp.StatusCode, b)
		}
		messages = append(messages, map[string]string{"role": "assistant", "content": "I read it."},
			map[string]string{"role": "user", "content": "now fix the handler"})
	}
	points := u.Speed.Points()
	if len(points) != 1 {
		// The second turn prefilled a few dozen tokens: too few to fit.
		t.Fatalf("points %+v, want the first turn's only", points)
	}
	if p := points[0]; p.Cached != 0 || p.Seconds > 0.5 {
		t.Errorf("turn one observed as %+v: the engine's own prompt_ms, without the 300 ms wait", p)
	}
	// From the estimate of 15,000 tokens/s, one observation moves the
	// speed up, toward the engine's 20,000; the time to the first chunk
	// (about 11,000 tokens/s with the wait) would have moved it down.
	if tps := u.Speed.PrefillTPSAt(8000); tps <= 15000 || tps > 20000 {
		t.Errorf("learnt %.0f tokens/s at 8000 tokens from 15000; the engine prefills 20000", tps)
	}
}

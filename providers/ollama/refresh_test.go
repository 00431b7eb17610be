package ollama

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/providers"
	"github.com/switchyard/switchyard/providers/ollama/ollamafake"
)

// TestSeedSetup is the seed machine's case: the definition says 131072, the
// GGUF 262144. switchyard sends 262144 and truncate:false, and warns.
func TestSeedSetup(t *testing.T) {
	e := newEnv(t, Options{}, ollamafake.Options{})
	info, err := e.p.Refresh(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := ModelInfo{
		Model: "qwen3-coder:30b", Architecture: "qwen3moe", NativeContext: 262144, DefinitionNumCtx: 131072, NumCtx: 262144,
		KV:     KVShape{BlockCount: 48, HeadCount: 32, HeadCountKV: 4, KeyLength: 128, ValueLength: 128, EmbeddingLength: 2048},
		Family: "qwen3moe", ParameterSize: "30.5B", Quantization: "Q4_K_M",
		WeightsBytes: 18556700761, Version: "0.33.0",
	}
	if info.Model != want.Model || info.Architecture != want.Architecture || info.NativeContext != want.NativeContext ||
		info.DefinitionNumCtx != want.DefinitionNumCtx || info.NumCtx != want.NumCtx || info.Family != want.Family ||
		info.ParameterSize != want.ParameterSize || info.Quantization != want.Quantization || info.WeightsBytes != want.WeightsBytes ||
		info.Version != want.Version || info.Digest == "" || info.ModifiedAt.IsZero() || info.Loaded {
		t.Errorf("info %+v", info)
	}
	if info.KV.BlockCount != 48 || info.KV.HeadCountKV != 4 || info.KV.KeyLength != 128 || info.KV.ElementsPerToken() != 49152 {
		t.Errorf("kv %+v (%d elements/token, want 49152: PROVIDERS.md §5.2)", info.KV, info.KV.ElementsPerToken())
	}
	if info.Thinks() || !info.HasCapability("tools") {
		t.Errorf("capabilities %v", info.Capabilities)
	}
	if got := info.Parameters["stop"]; len(got) != 3 || got[1] != "<|im_end|>" {
		t.Errorf("stop parameters %q", got)
	}
	// The prompt is Ollama's to render, by the built-in renderer the
	// definition names: the token counter renders the same way.
	if info.Renderer != "qwen3-coder" || info.Parser != "qwen3-coder" || info.Template != "{{ .Prompt }}" {
		t.Errorf("renderer %q parser %q template %q", info.Renderer, info.Parser, info.Template)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "level=WARN") || !strings.Contains(logs, "definition_num_ctx=131072") || !strings.Contains(logs, "native_context=262144") {
		t.Errorf("no warning with both numbers in the log:\n%s", logs)
	}

	// A prompt of 140K tokens: over the definition's window, within ours.
	big := strings.Repeat("abcd", 140000)
	chunks, err := e.chat(t, &chat.Request{Messages: []chat.Message{userText(big)}})
	if err != nil {
		t.Fatal(err)
	}
	if u := chunks[len(chunks)-1].Usage; u.PromptTokens < 140000 {
		t.Errorf("prompt tokens %d: the prompt was truncated", u.PromptTokens)
	}
	cr := e.fake.ChatRequests()
	if len(cr) != 1 || cr[0].NumCtx() != 262144 || cr[0].Truncate == nil || *cr[0].Truncate {
		t.Fatalf("sent num_ctx %d truncate %v", cr[0].NumCtx(), cr[0].Truncate)
	}
	// Refresh again: the model is loaded now with our window; no new warning.
	info, _ = e.p.Refresh(context.Background())
	if !info.Loaded || info.LoadedContext != 262144 || info.LoadedBytes <= info.WeightsBytes {
		t.Errorf("after a chat: loaded %v ctx %d bytes %d", info.Loaded, info.LoadedContext, info.LoadedBytes)
	}
	if n := strings.Count(e.logs.String(), "definition_num_ctx="); n != 1 {
		t.Errorf("warned %d times, want once per model version", n)
	}
}

func TestWindowChoice(t *testing.T) {
	tests := []struct {
		name       string
		configured int
		maxWindow  func(ModelInfo) int
		model      func(*ollamafake.Model)
		want       int
		wantErr    bool
	}{
		{name: "native-when-zero", want: 262144},
		{name: "configured-as-given", configured: 65536, want: 65536},
		{name: "configured-above-native-is-capped", configured: 1 << 20, want: 262144},
		{name: "memory-cap", maxWindow: func(i ModelInfo) int { return 98304 }, want: 98304},
		{name: "memory-cap-above-native", maxWindow: func(i ModelInfo) int { return 1 << 20 }, want: 262144},
		{name: "memory-cap-ignored-when-configured", configured: 32768, maxWindow: func(ModelInfo) int { return 8192 }, want: 32768},
		{name: "no-native-uses-definition", model: func(m *ollamafake.Model) { m.NativeContext = 0 }, want: 131072},
		{name: "nothing-known-fails", model: func(m *ollamafake.Model) { m.NativeContext, m.DefinitionNumCtx = 0, 0 }, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := ollamafake.Qwen3Coder30B()
			if tt.model != nil {
				tt.model(&m)
			}
			e := newEnv(t, Options{ContextWindow: tt.configured, MaxWindow: tt.maxWindow}, ollamafake.Options{Models: []ollamafake.Model{m}})
			info, err := e.p.Refresh(context.Background())
			if tt.wantErr {
				if err == nil || kindOf(t, err) != providers.KindUnavailable || !strings.Contains(err.Error(), "context_window") {
					t.Fatalf("error %v", err)
				}
				return
			}
			if err != nil || info.NumCtx != tt.want {
				t.Fatalf("num_ctx %d, err %v; want %d", info.NumCtx, err, tt.want)
			}
		})
	}
}

func TestKVDefaults(t *testing.T) {
	m := ollamafake.Qwen3Coder30B()
	m.KeyLength, m.ValueLength = 0, 0
	e := newEnv(t, Options{}, ollamafake.Options{Models: []ollamafake.Model{m}})
	info, err := e.p.Refresh(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.KV.KeyLength != 64 || info.KV.ValueLength != 64 {
		t.Errorf("key/value length %d/%d, want embedding/heads = 2048/32 = 64", info.KV.KeyLength, info.KV.ValueLength)
	}
	perLayer := KVShape{HeadCountKVPerLayer: []int{4, 0, 4}, KeyLength: 128, ValueLength: 128}
	if got := perLayer.ElementsPerToken(); got != 2*4*256 {
		t.Errorf("per-layer elements %d", got)
	}
}

func TestParseParameters(t *testing.T) {
	got := parseParameters("num_ctx                        131072\nstop                           \"<|im_start|>\"\nstop                           \"a \\\"quoted\\\" stop\"\n\ntemperature                    0.7")
	if got["num_ctx"][0] != "131072" || len(got["stop"]) != 2 || got["stop"][1] != `a "quoted" stop` || got["temperature"][0] != "0.7" {
		t.Errorf("%q", got)
	}
}

// TestChatRefreshesWhenOllamaWasDown: no ModelInfo at start; the first Chat
// reads it.
func TestChatRefreshesWhenOllamaWasDown(t *testing.T) {
	e := newEnv(t, Options{}, ollamafake.Options{})
	if _, ok := e.p.Info(); ok {
		t.Fatal("Info before any Refresh")
	}
	if _, err := e.chat(t, &chat.Request{Messages: []chat.Message{userText("x")}}); err != nil {
		t.Fatal(err)
	}
	if info, ok := e.p.Info(); !ok || info.NumCtx != 262144 {
		t.Fatalf("info after chat %+v %v", info, ok)
	}
	if cr := e.fake.ChatRequests(); cr[0].NumCtx() != 262144 {
		t.Errorf("num_ctx %d", cr[0].NumCtx())
	}
}

// TestRefreshAfterModelChange: a re-pulled model with another native length
// is noticed by the periodic check, and the new window is sent.
func TestRefreshAfterModelChange(t *testing.T) {
	e := newEnv(t, Options{ChangeCheckInterval: time.Nanosecond}, ollamafake.Options{})
	if _, err := e.p.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	m := ollamafake.Qwen3Coder30B()
	m.NativeContext, m.Digest, m.ModifiedAt = 131072, "abc123", m.ModifiedAt.Add(time.Hour)
	e.fake.SetModel(m)
	if _, err := e.chat(t, &chat.Request{Messages: []chat.Message{userText("x")}}); err != nil {
		t.Fatal(err)
	}
	if cr := e.fake.ChatRequests(); cr[0].NumCtx() != 131072 {
		t.Errorf("num_ctx %d after the change, want 131072", cr[0].NumCtx())
	}
	if info, _ := e.p.Info(); info.Digest != "abc123" {
		t.Errorf("digest %q", info.Digest)
	}
}

// TestNoCheckWithinInterval: with the default interval, back-to-back chats
// do not ask /api/tags each time.
func TestNoCheckWithinInterval(t *testing.T) {
	e := newEnv(t, Options{}, ollamafake.Options{})
	e.p.Refresh(context.Background())
	before := len(e.fake.Requests())
	for range 3 {
		e.chat(t, &chat.Request{Messages: []chat.Message{userText("x")}})
	}
	if got := len(e.fake.Requests()) - before; got != 3 {
		t.Errorf("%d requests for 3 chats, want 3", got)
	}
	// The same num_ctx every time: Ollama loaded the model once.
	if n := e.fake.Loads("qwen3-coder:30b"); n != 1 {
		t.Errorf("the model was loaded %d times, want 1", n)
	}
}

// TestModelRemoved: Ollama says the model is not found; the chat fails as
// unavailable and the next one reads /api/show again.
func TestModelRemoved(t *testing.T) {
	e := newEnv(t, Options{ChangeCheckInterval: -1}, ollamafake.Options{})
	e.p.Refresh(context.Background())
	e.fake.RemoveModel("qwen3-coder:30b")
	_, err := e.chat(t, &chat.Request{Messages: []chat.Message{userText("x")}})
	if err == nil || kindOf(t, err) != providers.KindUnavailable || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("error %v", err)
	}
	_, err = e.chat(t, &chat.Request{Messages: []chat.Message{userText("x")}})
	if err == nil || !strings.Contains(err.Error(), "ollama pull qwen3-coder:30b") {
		t.Fatalf("second error %v, want the refresh's advice", err)
	}
	e.fake.SetModel(ollamafake.Qwen3Coder30B())
	if _, err := e.chat(t, &chat.Request{Messages: []chat.Message{userText("x")}}); err != nil {
		t.Fatalf("after the model is back: %v", err)
	}
}

func TestVocabulary(t *testing.T) {
	m := ollamafake.Qwen3Coder30B()
	m.Vocabulary = &ollamafake.Vocabulary{Model: "gpt2", Pre: "qwen2", Tokens: []string{"a", "b", "ab", "<|im_end|>"}, Merges: []string{"a b"}, TokenTypes: []int32{1, 1, 1, 3}}
	e := newEnv(t, Options{}, ollamafake.Options{Models: []ollamafake.Model{m}})
	v, err := e.p.Vocabulary(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if v.Model != "gpt2" || v.Pre != "qwen2" || len(v.Tokens) != 4 || v.Tokens[3] != "<|im_end|>" || v.Merges[0] != "a b" || v.TokenTypes[3] != 3 {
		t.Errorf("vocabulary %+v", v)
	}
	var verbose bool
	for _, r := range e.fake.Requests() {
		verbose = verbose || strings.Contains(string(r.Raw), `"verbose":true`)
	}
	if !verbose {
		t.Error("no verbose /api/show was sent")
	}

	e2 := newEnv(t, Options{}, ollamafake.Options{})
	if _, err := e2.p.Vocabulary(context.Background()); err == nil || kindOf(t, err) != providers.KindProtocol {
		t.Errorf("no vocabulary: %v", err)
	}
}

func TestOllamaDown(t *testing.T) {
	// A port nobody listens on: bind one, then close it.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	tr := NewTransport()
	defer tr.CloseIdleConnections()
	p := New(Options{Name: "local", BaseURL: "http://" + addr, Model: "qwen3-coder:30b", HTTPClient: &http.Client{Transport: tr}})
	if _, err := p.Refresh(context.Background()); err == nil || kindOf(t, err) != providers.KindUnavailable {
		t.Errorf("refresh: %v", err)
	}
	if _, err := p.Chat(context.Background(), &chat.Request{Messages: []chat.Message{userText("x")}}); err == nil || kindOf(t, err) != providers.KindUnavailable {
		t.Errorf("chat: %v", err)
	}
}

func TestCanonicalName(t *testing.T) {
	for in, want := range map[string]string{"qwen3-coder": "qwen3-coder:latest", "Qwen3-Coder:30B": "qwen3-coder:30b",
		"hf.co/org/model": "hf.co/org/model:latest", "localhost:5000/m": "localhost:5000/m:latest", "r/m:tag": "r/m:tag"} {
		if got := canonicalName(in); got != want {
			t.Errorf("%q → %q, want %q", in, got, want)
		}
	}
}

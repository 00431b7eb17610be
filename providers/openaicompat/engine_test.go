package openaicompat

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/providers"
	"github.com/switchyard/switchyard/providers/openaicompat/openaifake"
	"github.com/switchyard/switchyard/providers/retry"
)

// TestDiscover asks fakes in llama.cpp's and vLLM's shapes for their
// windows, and one that says neither.
func TestDiscover(t *testing.T) {
	for _, tc := range []struct {
		name string
		fake *openaifake.Server
		want EngineInfo
		err  string
	}{
		{"llama.cpp", openaifake.New("qwen3-coder").LlamaCpp(65536, 262144), EngineInfo{Engine: "llama.cpp", Window: 65536, Native: 262144, Slots: 1}, ""},
		{"llama.cpp-parallel", openaifake.New("qwen3-coder").LlamaCpp(65536, 262144).Slots(4), EngineInfo{Engine: "llama.cpp", Window: 65536, Native: 262144, Slots: 4}, ""},
		{"llama.cpp-beyond-belief", openaifake.New("qwen3-coder").LlamaCpp(65536, 262144).Slots(512), EngineInfo{Engine: "llama.cpp", Window: 65536, Native: 262144, Slots: 64}, ""},
		{"vllm", openaifake.New("qwen3-coder").VLLM(131072), EngineInfo{Engine: "vllm", Window: 131072}, ""},
		{"neither", openaifake.New("qwen3-coder"), EngineInfo{}, "does not say its window"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.fake)
			defer srv.Close()
			p := New(Options{BaseURL: srv.URL + "/v1", Model: "qwen3-coder", HTTPClient: retry.NewClient(retry.Options{Max: -1})})
			got, err := p.Discover(context.Background())
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "set context_window") {
					t.Fatalf("got %+v, %v; want an error saying %q and the remedy", got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

// TestDiscoverPicksTheModel: of several models vLLM serves, the window is
// the configured one's.
func TestDiscoverPicksTheModel(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/models" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(`{"object":"list","data":[{"id":"small","object":"model","max_model_len":8192},{"id":"qwen3-coder","object":"model","max_model_len":40960}]}`))
	}))
	defer srv.Close()
	p := New(Options{BaseURL: srv.URL + "/v1", Model: "qwen3-coder", HTTPClient: retry.NewClient(retry.Options{Max: -1})})
	if got, err := p.Discover(context.Background()); err != nil || got.Window != 40960 {
		t.Fatalf("got %+v, %v; want qwen3-coder's 40960", got, err)
	}
}

// TestEngineAsksUntilItKnows: an engine that is not up yet is asked again
// (not more often than askEvery), and once it has said its window it is
// not asked again.
func TestEngineAsksUntilItKnows(t *testing.T) {
	var up atomic.Bool
	var asked atomic.Int32
	fake := openaifake.New("qwen3-coder").LlamaCpp(32768, 262144)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/props" {
			asked.Add(1)
		}
		if !up.Load() {
			http.Error(w, `{"error":{"code":503,"message":"Loading model","type":"unavailable_error"}}`, http.StatusServiceUnavailable)
			return
		}
		fake.ServeHTTP(w, r)
	}))
	defer srv.Close()
	e := NewEngine(New(Options{BaseURL: srv.URL + "/v1", Model: "qwen3-coder", HTTPClient: retry.NewClient(retry.Options{Max: -1})}))
	if why := e.Check(); !strings.Contains(why, "HTTP 503") {
		t.Fatalf("loading: Check = %q, want the engine's 503 named", why)
	}
	if w, _ := e.Window(); w != 0 {
		t.Fatalf("window %d before the engine said it", w)
	}
	up.Store(true)
	e.Check() // within askEvery: not asked again
	if n := asked.Load(); n != 1 {
		t.Fatalf("asked %d times within askEvery, want 1", n)
	}
	e.asked = e.asked.Add(-askEvery)
	if why := e.Check(); why != "" {
		t.Fatalf("up: Check = %q", why)
	}
	if w, n := e.Window(); w != 32768 || n != 262144 || e.Info().Engine != "llama.cpp" {
		t.Fatalf("window %d native %d engine %q", w, n, e.Info().Engine)
	}
	e.Check()
	if n := asked.Load(); n != 2 {
		t.Fatalf("asked %d times, want 2: once known, not again", n)
	}
}

// TestEngineRefusalIsContextLength: what llama.cpp and vLLM answer to a
// prompt over their windows (openaifake, in their words) is a
// context-length failure, whose message keeps the engine's numbers, streamed
// or whole and in every dialect.
func TestEngineRefusalIsContextLength(t *testing.T) {
	long := strings.Repeat("word ", 400) // 2,000 bytes: about 500 tokens to the fake
	for _, tc := range []struct {
		name    string
		fake    *openaifake.Server
		numbers []string
	}{
		{"llama.cpp", openaifake.New("qwen3-coder").LlamaCpp(256, 262144), []string{"(256 tokens)", "(5"}},
		{"vllm", openaifake.New("qwen3-coder").VLLM(256), []string{"context length is only 256 tokens", "You passed 5"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.fake)
			defer srv.Close()
			p := New(Options{Name: "engine", BaseURL: srv.URL + "/v1", Model: "qwen3-coder", HTTPClient: retry.NewClient(retry.Options{Max: -1})})
			for _, stream := range []bool{false, true} {
				raw := []byte(`{"stream":` + strconv.FormatBool(stream) + `,"messages":[{"role":"user","content":"` + long + `"}]}`)
				_, _, ferr := p.Forward(context.Background(), &chat.Request{Stream: stream}, providers.Origin{Dialect: "openai-chat", Body: raw})
				_, cerr := p.Chat(context.Background(), &chat.Request{Stream: stream, Messages: []chat.Message{
					{Role: chat.RoleUser, Content: []chat.Part{{Type: chat.PartText, Text: long}}}}})
				for how, err := range map[string]error{"forwarded": ferr, "encoded": cerr} {
					pe, ok := providers.AsError(err)
					if !ok || pe.Kind != providers.KindContextLength || pe.Status != 400 {
						t.Fatalf("%s, stream %v: %v; want a context-length failure", how, stream, err)
					}
					for _, n := range tc.numbers {
						if !strings.Contains(pe.Message, n) {
							t.Errorf("%s, stream %v: %q does not say %q", how, stream, pe.Message, n)
						}
					}
				}
			}
		})
	}
}

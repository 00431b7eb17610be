package openaicompat

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

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
		{"llama.cpp", openaifake.New("qwen3-coder").LlamaCpp(65536, 262144), EngineInfo{Engine: "llama.cpp", Window: 65536, Native: 262144}, ""},
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

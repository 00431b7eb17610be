package openaicompat

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/switchyard/switchyard/providers/openaicompat/openaifake"
	"github.com/switchyard/switchyard/providers/retry"
)

// The samples: testdata/llamacpp-slots.json is the two-slot example of
// llama.cpp's tools/server/README.md ("GET /slots"), its second slot made
// idle; testdata/vllm-metrics.txt is vLLM's GET /metrics in the shape of
// vllm/v1/metrics/loggers.py (two engine cores, model_name and engine
// labels, prometheus_client's sorted labels and float values), with the
// process and python metrics, a histogram and
// vllm:num_requests_waiting_by_reason around the two gauges read.

func TestParseSlots(t *testing.T) {
	sample, err := os.ReadFile("testdata/llamacpp-slots.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, body string
		running    int
		err        string
	}{
		{"readme-sample", string(sample), 1, ""},
		{"all-idle", `[{"id":0,"n_ctx":4096,"is_processing":false},{"id":1,"n_ctx":4096,"is_processing":false}]`, 0, ""},
		{"all-busy", `[{"id":0,"is_processing":true},{"id":1,"is_processing":true},{"id":2,"is_processing":true}]`, 3, ""},
		{"disabled-error-body", `{"error":{"code":501,"message":"This server does not support slots endpoint. Start it with ` + "`--slots`" + `","type":"not_supported_error"}}`, 0, "not a list of slots"},
		{"no-slots", `[]`, 0, "no slots"},
		{"no-is-processing", `[{"id":0,"n_ctx":4096,"state":1}]`, 0, "is_processing"},
		{"is-processing-not-bool", `[{"id":0,"is_processing":1}]`, 0, "not a list of slots"},
		{"cut", `[{"id":0,"is_processing":tr`, 0, "not a list of slots"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := parseSlots(strings.NewReader(tc.body))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %+v, %v; want an error saying %q", r, err, tc.err)
				}
				return
			}
			if err != nil || r.running != tc.running || r.waiting != 0 {
				t.Fatalf("got %+v, %v; want %d running, 0 waiting", r, err, tc.running)
			}
		})
	}
}

func TestParseMetrics(t *testing.T) {
	sample, err := os.ReadFile("testdata/vllm-metrics.txt")
	if err != nil {
		t.Fatal(err)
	}
	llama, err := os.ReadFile("testdata/llamacpp-metrics.txt")
	if err != nil {
		t.Fatal(err)
	}
	const two = `vllm:num_requests_running{engine="0",model_name="small"} 4.0
vllm:num_requests_waiting{engine="0",model_name="small"} 9.0
vllm:num_requests_running{engine="0",model_name="qwen3-coder"} 1.0
vllm:num_requests_waiting{engine="0",model_name="qwen3-coder"} 2.0
`
	for _, tc := range []struct {
		name, body, model string
		running, waiting  int
		err               string
	}{
		// Both engine cores summed; waiting_by_reason is another metric.
		{"sample", string(sample), "qwen3-coder", 3, 3, ""},
		{"sample-served-under-another-name", string(sample), "Qwen/Qwen3-Coder-30B-A3B-Instruct", 3, 3, ""},
		{"two-models-ours", two, "qwen3-coder", 1, 2, ""},
		{"two-models-neither-ours", two, "other", 0, 0, "several models"},
		{"unlabelled", "vllm:num_requests_running 5\nvllm:num_requests_waiting 2\n", "m", 5, 2, ""},
		{"timestamps-and-spacing", "  vllm:num_requests_running{ model_name = \"m\" , } 1 1765000000000\nvllm:num_requests_waiting\t0.0\n", "m", 1, 0, ""},
		{"escaped-label", `vllm:num_requests_running{model_name="a \"b\"\\c"} 1` + "\n" + `vllm:num_requests_waiting{model_name="a \"b\"\\c"} 1` + "\n", `a "b"\c`, 1, 1, ""},
		{"llamacpp-sample", string(llama), "m", 2, 5, ""},
		{"llamacpp-only-processing", "llamacpp:requests_processing 1\n", "m", 0, 0, "nor llamacpp"},
		{"llamacpp-negative", "llamacpp:requests_processing -2\nllamacpp:requests_deferred 0\n", "m", 0, 0, "not a count"},
		{"other-engine", "# TYPE sglang:num_running_reqs gauge\nsglang:num_running_reqs 1\n", "m", 0, 0, "no vllm:num_requests_running"},
		{"only-running", "vllm:num_requests_running 1\n", "m", 0, 0, "no vllm:num_requests_running and"},
		{"empty", "", "m", 0, 0, "no vllm"},
		{"html", "<html><body>404</body></html>", "m", 0, 0, "no vllm"},
		{"bad-value", "vllm:num_requests_running 1\nvllm:num_requests_waiting many\n", "m", 0, 0, `value "many"`},
		{"nan", "vllm:num_requests_running NaN\nvllm:num_requests_waiting 0\n", "m", 0, 0, "not a count"},
		{"negative", "vllm:num_requests_running -1\nvllm:num_requests_waiting 0\n", "m", 0, 0, "not a count"},
		{"huge", "vllm:num_requests_running 1e300\nvllm:num_requests_waiting 0\n", "m", 0, 0, "not a count"},
		{"unclosed-labels", `vllm:num_requests_running{model_name="m" 1` + "\nvllm:num_requests_waiting 0\n", "m", 0, 0, "labels not closed"},
		{"unquoted-label", `vllm:num_requests_running{model_name=m} 1` + "\nvllm:num_requests_waiting 0\n", "m", 0, 0, "not quoted"},
		{"bad-escape", `vllm:num_requests_running{model_name="\x"} 1` + "\nvllm:num_requests_waiting 0\n", "m", 0, 0, "escape"},
		{"no-value", "vllm:num_requests_running\nvllm:num_requests_waiting 0\n", "m", 0, 0, "want a value"},
		{"extra-field", "vllm:num_requests_running 1 2 3\nvllm:num_requests_waiting 0\n", "m", 0, 0, "want a value"},
		{"bad-timestamp", "vllm:num_requests_running 1 soon\nvllm:num_requests_waiting 0\n", "m", 0, 0, "timestamp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := parseMetrics(strings.NewReader(tc.body), tc.model)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %+v, %v; want an error saying %q", r, err, tc.err)
				}
				return
			}
			if err != nil || r.running != tc.running || r.waiting != tc.waiting {
				t.Fatalf("got %+v, %v; want %d running, %d waiting", r, err, tc.running, tc.waiting)
			}
		})
	}
}

// TestReadLoad asks fakes in each engine's shape, and servers that say
// nothing of their load, or are passingly unable to.
func TestReadLoad(t *testing.T) {
	status := func(code int, body string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, body, code) })
	}
	for _, tc := range []struct {
		name             string
		h                http.Handler
		path             string
		running, waiting int
		notSaid          bool
	}{
		{"llama.cpp", loaded(openaifake.New("qwen3-coder").LlamaCpp(65536, 262144), 2, 5), slotsPath, 2, 0, false},
		{"llama.cpp-idle", openaifake.New("qwen3-coder").LlamaCpp(65536, 262144), slotsPath, 0, 0, false},
		{"vllm", loaded(openaifake.New("qwen3-coder").VLLM(131072), 1, 3), metricsPath, 1, 3, false},
		{"llama.cpp-metrics", file("testdata/llamacpp-metrics.txt"), metricsPath, 2, 5, false},
		{"llama.cpp-without-metrics", openaifake.New("qwen3-coder").LlamaCpp(65536, 262144), metricsPath, 0, 0, true},
		{"vllm-has-no-slots", openaifake.New("qwen3-coder").VLLM(131072), slotsPath, 0, 0, true},
		{"neither", openaifake.New("qwen3-coder"), metricsPath, 0, 0, true},
		{"slots-disabled", status(501, `{"error":{"code":501,"message":"This server does not support slots endpoint. Start it with `+"`--slots`"+`","type":"not_supported_error"}}`), slotsPath, 0, 0, true},
		{"unauthorized", status(401, `{"error":{"code":401,"message":"Invalid API Key","type":"authentication_error"}}`), slotsPath, 0, 0, true},
		{"loading", status(503, `{"error":{"code":503,"message":"Loading model","type":"unavailable_error"}}`), slotsPath, 0, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.h)
			defer srv.Close()
			e := NewEngine(New(Options{BaseURL: srv.URL + "/v1", Model: "qwen3-coder", HTTPClient: retry.NewClient(retry.Options{Max: -1})}))
			r, err := e.readLoad(context.Background(), tc.path)
			if tc.name == "loading" {
				if err == nil || errors.Is(err, errNotSaid) {
					t.Fatalf("got %+v, %v; want a passing error", r, err)
				}
				return
			}
			if tc.notSaid {
				if !errors.Is(err, errNotSaid) {
					t.Fatalf("got %+v, %v; want errNotSaid", r, err)
				}
				return
			}
			if err != nil || r.running != tc.running || r.waiting != tc.waiting || r.at.IsZero() {
				t.Fatalf("got %+v, %v; want %d running, %d waiting, and when", r, err, tc.running, tc.waiting)
			}
		})
	}
}

// file serves the file at name on every path.
func file(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.ServeFile(w, r, name) })
}

func loaded(s *openaifake.Server, running, waiting int) *openaifake.Server {
	s.SetLoad(running, waiting)
	return s
}

// TestWatchKeepsTheLoadFresh: Watch reads the engine until its context
// ends, then stops, the load unknown, leaving no goroutine behind.
func TestWatchKeepsTheLoadFresh(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	fake := openaifake.New("qwen3-coder").VLLM(131072)
	var slotsAsked, metricsAsked atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case slotsPath:
			slotsAsked.Add(1)
		case metricsPath:
			metricsAsked.Add(1)
		}
		fake.ServeHTTP(w, r)
	}))
	defer srv.Close()
	e := NewEngine(New(Options{BaseURL: srv.URL + "/v1", Model: "qwen3-coder", HTTPClient: retry.NewClient(retry.Options{Max: -1})}))
	e.loadEvery = 5 * time.Millisecond
	if _, _, _, ok := e.Load(); ok {
		t.Fatal("a load before Watch read any")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.Watch(ctx); close(done) }()
	waitLoad := func(running, waiting int) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
			if r, w, _, ok := e.Load(); ok && r == running && w == waiting {
				return
			}
		}
		r, w, at, ok := e.Load()
		t.Fatalf("load %d running %d waiting (at %v, ok %t); want %d and %d", r, w, at, ok, running, waiting)
	}
	waitLoad(0, 0)
	fake.SetLoad(2, 3)
	waitLoad(2, 3)
	fake.SetLoad(0, 1)
	waitLoad(0, 1)
	// vLLM answers /metrics, asked first: /slots is never asked.
	if n, m := slotsAsked.Load(), metricsAsked.Load(); n != 0 || m < 3 {
		t.Errorf("/slots asked %d times, /metrics %d; want never, and every reading", n, m)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Watch did not return after its context ended")
	}
	if _, _, _, ok := e.Load(); ok {
		t.Error("a load is still said after Watch stopped")
	}
}

// TestRefreshFollowsTheEngine: what one reading finds decides the next
// (llama.cpp without --metrics: /metrics asked first, then /slots):
// an engine that says neither is asked rarely; one that goes down is
// unknown until it answers again; one that stops saying its load one way
// is asked both ways again.
func TestRefreshFollowsTheEngine(t *testing.T) {
	var mode atomic.Value // "llama.cpp", "down", "no-slots"
	mode.Store("neither")
	llama := openaifake.New("m").LlamaCpp(4096, 4096)
	llama.SetLoad(1, 0)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch mode.Load() {
		case "neither":
			openaifake.New("m").ServeHTTP(w, r)
		case "llama.cpp":
			llama.ServeHTTP(w, r)
		case "down":
			http.Error(w, "bad gateway", http.StatusBadGateway)
		case "no-slots":
			http.Error(w, `{"error":{"code":501,"message":"This server does not support slots endpoint.","type":"not_supported_error"}}`, 501)
		}
	}))
	defer srv.Close()
	e := NewEngine(New(Options{BaseURL: srv.URL + "/v1", Model: "m", HTTPClient: retry.NewClient(retry.Options{Max: -1})}))
	w := &loadWatcher{e: e, every: loadEvery, probeEvery: loadProbeEvery}
	step := func(want time.Duration, running int, ok bool, path string) {
		t.Helper()
		next := w.refresh(context.Background())
		r, _, _, got := e.Load()
		if next != want || got != ok || r != running || w.path != path {
			t.Fatalf("%s: next in %v, load %d %t, path %q (%v); want %v, %d %t, %q", mode.Load(), next, r, got, w.path, w.err, want, running, ok, path)
		}
	}
	step(loadProbeEvery, 0, false, "")
	mode.Store("llama.cpp")
	step(loadEvery, 1, true, slotsPath)
	mode.Store("down")
	step(loadEvery, 0, false, slotsPath)
	mode.Store("llama.cpp")
	step(loadEvery, 1, true, slotsPath)
	mode.Store("no-slots")
	step(loadEvery, 0, false, "")
	step(loadProbeEvery, 0, false, "")
}

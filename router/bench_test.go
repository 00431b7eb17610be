package router

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/ingress/dialects"
	"github.com/switchyard/switchyard/internal/barehop"
	"github.com/switchyard/switchyard/policy"
	"github.com/switchyard/switchyard/policy/tokenize"
	"github.com/switchyard/switchyard/policy/tokenize/tokenizetest"
	"github.com/switchyard/switchyard/policy/workspace"
	"github.com/switchyard/switchyard/providers/ollama"
	"github.com/switchyard/switchyard/providers/ollama/ollamafake"
	"github.com/switchyard/switchyard/providers/openaicompat"
	"github.com/switchyard/switchyard/providers/openaicompat/openaifake"
	"github.com/switchyard/switchyard/providers/retry"
)

// The added-latency benchmarks measure what switchyard costs a request
// beside what the cheapest possible hop costs, in the same run.
//
// Fairness. Three paths reach the same fake Ollama (ollamafake, in process,
// over loopback HTTP), and the fake does byte-for-byte the same work on
// each, because it receives byte-for-byte the same /api/chat body:
//
//	direct      client ──/api/chat──────────────────────────────▶ fake Ollama
//	bare hop    client ──/api/chat──▶ ReverseProxy ──────────────▶ fake Ollama
//	switchyard  client ──/v1/chat/completions──▶ Router ─ ollama adapter ─▶ fake Ollama
//
// The direct and bare-hop clients send the exact body switchyard's adapter
// sent for the same OpenAI request (captured from the fake at setup), so
// the upstream's cost cancels out of "added = path − direct" for both hops,
// and the two added figures differ only by what each hop does. An
// OpenAI-shaped fake behind the bare hop would be a different program from
// the fake Ollama, with its own cost; its difference would land in the
// comparison. The clients' own work is alike: NDJSON lines (direct, bare)
// versus as many SSE events (switchyard), each read to the end.
//
// The bare hop reads the request body whole and builds the outbound request
// from the bytes (STYLE.md: handing the inbound body over lets net/http cut
// streams, golang/go#40747), flushes every write, and pools as many idle
// connections per host as the ollama adapter's transport does (8), so both
// hops reuse connections alike.
//
// Each iteration sends one request down each path, in rotating order, so
// that noise from the machine falls on all three alike. ns/op is the sum of
// the three; the metrics are medians over the iterations:
//
//	direct-ns, bare-ns, switchyard-ns   a path's median latency
//	bare-added-ns, switchyard-added-ns  that minus direct-ns
//	added-x-bare                        switchyard-added-ns / bare-added-ns
//
// Run: go test -run '^$' -bench AddedLatency ./router  (add -benchtime=200x
// for a short run in CI).
func BenchmarkAddedLatency(b *testing.B) {
	for _, c := range []struct {
		name      string
		stream    bool
		firstByte bool
	}{
		{"whole", false, false},
		{"stream-first-byte", true, true},
	} {
		for _, kind := range upstreamKinds {
			b.Run(kind+"/"+c.name, func(b *testing.B) {
				benchmarkAddedLatency(b, newHopRig(b, kind), c.stream, c.firstByte)
			})
		}
	}
}

// upstreamKinds are the local provider kinds the benchmarks measure.
var upstreamKinds = []string{"ollama", "openai"}

func benchmarkAddedLatency(b *testing.B, rig *hopRig, stream, firstByte bool) {
	paths := rig.paths(b, stream)
	for _, p := range paths {
		for range 20 { // warm connections and caches
			p.do(b, firstByte)
		}
	}
	lat := make([][]time.Duration, len(paths))
	i := 0
	for b.Loop() {
		for k := range paths {
			j := (i + k) % len(paths)
			lat[j] = append(lat[j], paths[j].do(b, firstByte))
		}
		i++
	}
	b.StopTimer()
	direct, bare, sy := median(lat[0]), median(lat[1]), median(lat[2])
	b.ReportMetric(float64(direct), "direct-ns")
	b.ReportMetric(float64(bare), "bare-ns")
	b.ReportMetric(float64(sy), "switchyard-ns")
	b.ReportMetric(float64(bare-direct), "bare-added-ns")
	b.ReportMetric(float64(sy-direct), "switchyard-added-ns")
	if bare > direct {
		b.ReportMetric(float64(sy-direct)/float64(bare-direct), "added-x-bare")
	}
}

// BenchmarkSwitchyard is the switchyard path alone: ns/op is one
// request's latency, for profiling (-cpuprofile) without the other paths.
func BenchmarkSwitchyard(b *testing.B) {
	for _, c := range []struct {
		name   string
		stream bool
	}{{"whole", false}, {"stream", true}} {
		for _, kind := range upstreamKinds {
			b.Run(kind+"/"+c.name, func(b *testing.B) {
				rig := newHopRig(b, kind)
				p := rig.paths(b, c.stream)[2]
				b.ReportAllocs()
				for b.Loop() {
					p.do(b, false)
				}
			})
		}
	}
}

// hopRig is a fake local engine with switchyard and a bare hop in front
// of it: the fake Ollama, or an OpenAI-compatible server (openaifake, in
// llama.cpp's shape) behind a kind openai, local provider.
type hopRig struct {
	// native is the engine's own chat path; last returns the body of the
	// newest request the engine received there.
	native     string
	last       func() []byte
	upstream   *httptest.Server
	switchyard *httptest.Server
	bare       *httptest.Server
	client     *http.Client
}

func newHopRig(b *testing.B, kind string) *hopRig {
	b.Helper()
	g := &hopRig{}
	// The router wired as cmd/switchyard wires a local-only configuration:
	// the provider as app.go builds it, the exact Qwen3 counter, the
	// workspace store, file counting and the credential scan.
	u := &Upstream{Name: "local", Kind: kind, Model: "qwen3-coder:30b", Local: true, SlowAfter: 5 * time.Minute}
	switch kind {
	case "ollama":
		fake := ollamafake.New(ollamafake.Options{})
		g.upstream = httptest.NewServer(fake)
		g.native = "/api/chat"
		g.last = func() []byte {
			for _, r := range slices.Backward(fake.Requests()) {
				if r.Path == "/api/chat" {
					return r.Raw
				}
			}
			return nil
		}
		adapterTransport := ollama.NewTransport()
		b.Cleanup(adapterTransport.CloseIdleConnections)
		p := ollama.New(ollama.Options{Name: "local", BaseURL: g.upstream.URL, Model: u.Model,
			HTTPClient: &http.Client{Transport: adapterTransport}})
		if _, err := p.Refresh(context.Background()); err != nil {
			b.Fatal(err)
		}
		u.Provider = p
		u.Window = func() (int, int) { i, _ := p.Info(); return i.NumCtx, i.NativeContext }
	case "openai":
		fake := openaifake.New(u.Model)
		g.upstream = httptest.NewServer(fake)
		g.native = "/v1/chat/completions"
		g.last = fake.LastBody
		t := retry.NewTransport(0)
		t.Proxy = nil
		b.Cleanup(t.CloseIdleConnections)
		u.Provider = openaicompat.New(openaicompat.Options{Name: "local", BaseURL: g.upstream.URL + "/v1", Model: u.Model, Local: true,
			HTTPClient: retry.NewClient(retry.Options{Transport: t})})
		u.ContextWindow = 262144
	default:
		b.Fatalf("kind %q", kind)
	}
	b.Cleanup(g.upstream.Close)
	counter := tokenize.NewCounter()
	counter.SetVocabulary(tokenizetest.Qwen3BPE(b))
	store := workspace.NewStore(workspace.StoreOptions{})
	rt := New(Options{
		Dialects:  dialects.All(),
		Upstreams: []*Upstream{u},
		Settings:  policy.Settings{DefaultPrivacy: policy.Private, HeavyMinFiles: 5, HeavyMinTokens: 100000, DefaultOutputTokens: 8192},
		Workspace: StoreWorkspace(store),
		Tokens:    CounterTokens(counter),
		Inspector: PolicyInspector,
	})
	g.switchyard = httptest.NewServer(rt)
	b.Cleanup(g.switchyard.Close)

	target, _ := url.Parse(g.upstream.URL)
	g.bare = httptest.NewServer(barehop.New(target))
	b.Cleanup(g.bare.Close)

	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	b.Cleanup(tr.CloseIdleConnections)
	g.client = &http.Client{Transport: tr}
	return g
}

// hopPath is one way to the fake: a URL and the body to post there.
type hopPath struct {
	name   string
	url    string
	body   []byte
	client *http.Client
}

// paths returns direct, bare hop and switchyard for an OpenAI request,
// streamed or not. The direct and bare bodies are what switchyard's adapter
// sent to the fake for that request.
func (g *hopRig) paths(b *testing.B, stream bool) []*hopPath {
	b.Helper()
	openai := benchOpenAIRequest(stream)
	sy := &hopPath{name: "switchyard", url: g.switchyard.URL + "/v1/chat/completions", body: openai, client: g.client}
	sy.do(b, false)
	native := g.last()
	if native == nil {
		b.Fatal("switchyard sent nothing to the fake")
	}
	return []*hopPath{
		{name: "direct", url: g.upstream.URL + g.native, body: native, client: g.client},
		{name: "bare", url: g.bare.URL + g.native, body: native, client: g.client},
		sy,
	}
}

// do sends one request and returns the time to the first byte of the body
// (firstByte) or to its end. The answer is always read whole and checked.
func (p *hopPath) do(b *testing.B, firstByte bool) time.Duration {
	start := time.Now()
	resp, err := p.client.Post(p.url, "application/json", bytes.NewReader(p.body))
	if err != nil {
		b.Fatalf("%s: %v", p.name, err)
	}
	defer resp.Body.Close()
	var one [1]byte
	if _, err := io.ReadFull(resp.Body, one[:]); err != nil {
		b.Fatalf("%s: no body: %v", p.name, err)
	}
	took := time.Since(start)
	rest, err := io.ReadAll(resp.Body)
	if !firstByte {
		took = time.Since(start)
	}
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("%s: HTTP %d, %v: %s%s", p.name, resp.StatusCode, err, one[:], rest)
	}
	if ct := resp.Header.Get("Content-Type"); strings.HasPrefix(ct, "text/event-stream") && !bytes.HasSuffix(rest, []byte("data: [DONE]\n\n")) {
		b.Fatalf("%s: stream without [DONE]: %s%s", p.name, one[:], rest)
	}
	return took
}

// benchOpenAIRequest is a short agent turn: a system prompt that states
// the working directory, and a user message the fake echoes back in a
// dozen chunks.
func benchOpenAIRequest(stream bool) []byte {
	body, _ := json.Marshal(map[string]any{
		"model":  "auto",
		"stream": stream,
		"messages": []map[string]string{
			{"role": "system", "content": "You are a coding agent working in a Go repository. Working directory: /tmp/switchyard-bench-repo\n" +
				strings.Repeat("Follow the house style; keep changes small and tested. ", 20)},
			{"role": "user", "content": "Rename parseCount to parseDecimal in router/features.go, update every caller, " +
				"run the tests of the router package, and tell me which files you changed and why each change was needed."},
		},
		"max_tokens": 512,
	})
	return body
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

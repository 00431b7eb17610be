// Package providertest is the conformance suite every provider passes,
// against its vendor's fake: plain and streamed answers, a multi-turn
// tool-call round trip, parallel tool calls, usage, 429 then success, 5xx,
// and cancellation. It runs twice over: once on providers.Provider itself
// (switchyard's own request in, chunks out: what the provider owes every
// dialect), then through switchyard's real HTTP surface (router) with the
// client of every ingress dialect (ingresstest.Client, each with its
// vendor's SDK), so what it checks is also what an agent of each dialect
// sees.
//
// Each vendor's test file adapts its fake to a Backend and calls Run.
package providertest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/ingress/anthropic/anthropictest"
	"github.com/switchyard/switchyard/ingress/dialects"
	"github.com/switchyard/switchyard/ingress/gemini/geminitest"
	"github.com/switchyard/switchyard/ingress/ingresstest"
	"github.com/switchyard/switchyard/ingress/openaichat/openaichattest"
	"github.com/switchyard/switchyard/ingress/responses/responsestest"
	"github.com/switchyard/switchyard/policy"
	"github.com/switchyard/switchyard/providers"
	"github.com/switchyard/switchyard/router"
)

// Call is a tool call a fake is told to make.
type Call = ingresstest.Call

// Backend is one provider pointed at its vendor's fake, with the fake's
// scripting reduced to what the suite needs. Every func is required.
type Backend struct {
	Name     string
	Kind     string
	Model    string
	Local    bool
	Window   int
	Provider providers.Provider
	// Retries says whether the provider retries a 429 itself (cloud
	// adapters do, through providers/retry; the local one does not).
	Retries bool

	// Text queues an answer made of these text pieces.
	Text func(pieces ...string)
	// ToolCalls queues an answer that calls these tools.
	ToolCalls func(calls ...Call)
	// Fail queues `times` failures with this HTTP status; retryAfter, when
	// positive, is sent as Retry-After seconds.
	Fail func(status, times, retryAfter int)
	// Slow queues an answer held back by delay before anything is sent.
	Slow func(delay time.Duration, text string)
	// Requests counts the chat requests the fake received.
	Requests func() int
}

// untouched fails the test when the provider modifies the request it was
// given: the router shares decoded messages between requests (a message
// an agent resends every turn is decoded once), so a provider must
// translate, never edit in place.
type untouched struct {
	providers.Provider
	t *testing.T
}

func (u untouched) Chat(ctx context.Context, req *chat.Request) (providers.Stream, error) {
	before, err := json.Marshal(req)
	if err != nil {
		u.t.Fatal(err)
	}
	check := func() {
		if after, _ := json.Marshal(req); !bytes.Equal(before, after) {
			u.t.Errorf("the provider modified the request it was given:\nbefore %s\nafter  %s", before, after)
		}
	}
	st, err := u.Provider.Chat(ctx, req)
	if err != nil {
		check()
		return nil, err
	}
	return checkedStream{st, check}, nil
}

type checkedStream struct {
	providers.Stream
	check func()
}

func (s checkedStream) Close() error {
	s.check()
	return s.Stream.Close()
}

// LeakOptions are what goleak must ignore in a package that runs Clients:
// opencensus, pulled in by genai's auth dependencies (geminitest), starts
// one worker goroutine when it is initialised, process-wide, not per
// request.
var LeakOptions = []goleak.Option{goleak.IgnoreTopFunction("go.opencensus.io/stats/view.(*worker).start")}

// Clients are the dialect clients the HTTP suite runs with, one per
// ingress dialect.
var Clients = []ingresstest.Client{openaichattest.Client{}, anthropictest.Client{}, responsestest.Client{}, geminitest.Client{}}

// Run runs the suite.
func Run(t *testing.T, newBackend func(t *testing.T) *Backend) {
	direct := []struct {
		name string
		fn   func(*testing.T, *Backend, providers.Provider)
	}{
		{"plain", directPlain},
		{"streamed", directStreamed},
		{"tool-call-round-trip", directToolRoundTrip},
		{"parallel-tool-calls", directParallel},
		{"rate-limited-then-success", directRateLimited},
		{"server-error", directServerError},
		{"client-cancellation", directCancellation},
	}
	t.Run("provider", func(t *testing.T) {
		for _, c := range direct {
			t.Run(c.name, func(t *testing.T) {
				b := newBackend(t)
				c.fn(t, b, untouched{b.Provider, t})
			})
		}
	})
	viaHTTP := []struct {
		name string
		fn   func(*testing.T, *harness)
	}{
		{"plain", testPlain},
		{"streamed", testStreamed},
		{"usage", testUsage},
		{"tool-call-round-trip", testToolRoundTrip},
		{"parallel-tool-calls", testParallelToolCalls},
		{"rate-limited-then-success", testRateLimited},
		{"server-error", testServerError},
		{"client-cancellation", testCancellation},
	}
	for _, cl := range Clients {
		t.Run(cl.Name(), func(t *testing.T) {
			for _, c := range viaHTTP {
				t.Run(c.name, func(t *testing.T) { c.fn(t, setup(t, newBackend, cl)) })
			}
		})
	}
}

// harness is one backend behind switchyard's HTTP surface, and a client.
type harness struct {
	b    *Backend
	cl   ingresstest.Client
	base string
}

func setup(t *testing.T, newBackend func(t *testing.T) *Backend, cl ingresstest.Client) *harness {
	t.Helper()
	b := newBackend(t)
	rt := router.New(router.Options{
		Dialects: dialects.All(),
		Upstreams: []*router.Upstream{{Name: b.Name, Kind: b.Kind, Model: b.Model, Local: b.Local,
			Provider: untouched{b.Provider, t}, ContextWindow: b.Window}},
		Settings: policy.Settings{DefaultPrivacy: policy.Public, Secrets: policy.SecretsIgnore, DefaultOutputTokens: 1024},
	})
	srv := httptest.NewServer(rt)
	t.Cleanup(srv.Close)
	return &harness{b: b, cl: cl, base: srv.URL}
}

func (h *harness) conversation(first string) ingresstest.Conversation {
	c := h.cl.New(h.base, h.b.Name)
	c.User(first)
	return c
}

func send(t *testing.T, c ingresstest.Conversation, stream bool) *ingresstest.Answer {
	t.Helper()
	a, err := c.Send(context.Background(), stream)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func testPlain(t *testing.T, h *harness) {
	h.b.Text("Hello", ", world")
	a := send(t, h.conversation("say hello"), false)
	if a.Text != "Hello, world" || a.Finish != string(chat.FinishStop) || len(a.Calls) != 0 {
		t.Errorf("text %q finish %q calls %v", a.Text, a.Finish, a.Calls)
	}
	if a.Route != h.b.Name {
		t.Errorf("route %q", a.Route)
	}
}

func testStreamed(t *testing.T, h *harness) {
	h.b.Text("one ", "two ", "three")
	a := send(t, h.conversation("count"), true)
	if a.Text != "one two three" || len(a.Calls) != 0 || a.Finish != string(chat.FinishStop) || a.Route != h.b.Name {
		t.Errorf("text %q calls %v finish %q route %q", a.Text, a.Calls, a.Finish, a.Route)
	}
}

func testUsage(t *testing.T, h *harness) {
	for _, stream := range []bool{true, false} {
		h.b.Text("fine")
		a := send(t, h.conversation("how are you"), stream)
		if a.PromptTokens <= 0 || a.OutputTokens <= 0 {
			t.Errorf("stream %v: usage %d + %d", stream, a.PromptTokens, a.OutputTokens)
		}
	}
}

// testToolRoundTrip is three turns: the model calls a tool, the client
// sends the result back with the history exactly as it received it, the
// model answers; then one more user turn. The fakes enforce their vendor's
// history rules (Mistral's ids, Gemini's thought signatures, Ollama's
// tool_name) on the later turns.
func testToolRoundTrip(t *testing.T, h *harness) {
	h.b.ToolCalls(Call{Name: "read_file", Args: map[string]any{"path": "main.go"}})
	c := h.conversation("what does main.go do?")
	a := send(t, c, false)
	if a.Finish != string(chat.FinishToolCalls) || len(a.Calls) != 1 {
		t.Fatalf("turn 1: finish %q calls %+v", a.Finish, a.Calls)
	}
	if call := a.Calls[0]; call.ID == "" || call.Name != "read_file" || call.Args["path"] != "main.go" {
		t.Fatalf("turn 1 call %+v", call)
	}
	c.Results("package main\nfunc main() {}")
	h.b.Text("It does nothing.")
	if a := send(t, c, false); a.Text != "It does nothing." {
		t.Fatalf("turn 2: %q", a.Text)
	}
	c.User("thanks")
	h.b.Text("You're welcome.")
	if a := send(t, c, true); a.Text != "You're welcome." {
		t.Errorf("turn 3: %q", a.Text)
	}
}

func testParallelToolCalls(t *testing.T, h *harness) {
	two := []Call{{Name: "read_file", Args: map[string]any{"path": "a.go"}}, {Name: "read_file", Args: map[string]any{"path": "b.go"}}}
	h.b.ToolCalls(two...)
	a := send(t, h.conversation("read a.go and b.go"), true)
	checkTwoCalls(t, a)
	// The same answer, whole, and the results sent back together.
	h.b.ToolCalls(two...)
	c := h.conversation("read a.go and b.go")
	checkTwoCalls(t, send(t, c, false))
	c.Results("package a", "package b")
	h.b.Text("Two packages.")
	if a := send(t, c, false); a.Text != "Two packages." {
		t.Fatalf("results back: %q", a.Text)
	}
}

func checkTwoCalls(t *testing.T, a *ingresstest.Answer) {
	t.Helper()
	if a.Finish != string(chat.FinishToolCalls) || len(a.Calls) != 2 {
		t.Fatalf("finish %q calls %d", a.Finish, len(a.Calls))
	}
	if a.Calls[0].ID == a.Calls[1].ID || a.Calls[0].ID == "" {
		t.Fatalf("calls %+v", a.Calls)
	}
	paths := map[any]bool{a.Calls[0].Args["path"]: true, a.Calls[1].Args["path"]: true}
	if !paths["a.go"] || !paths["b.go"] {
		t.Errorf("paths %v", paths)
	}
}

// failure is err as the dialect client decoded switchyard's error answer.
func failure(t *testing.T, err error) *ingresstest.Failure {
	t.Helper()
	var f *ingresstest.Failure
	if !errors.As(err, &f) {
		t.Fatalf("want an error answer, got %v", err)
	}
	return f
}

func testRateLimited(t *testing.T, h *harness) {
	h.b.Fail(429, 1, 0)
	h.b.Text("after the wait")
	a, err := h.conversation("hi").Send(context.Background(), false)
	if h.b.Retries {
		if err != nil || a.Text != "after the wait" {
			t.Fatalf("%+v %v", a, err)
		}
		if n := h.b.Requests(); n != 2 {
			t.Errorf("%d requests, want 2", n)
		}
		return
	}
	if f := failure(t, err); f.Status != 429 {
		t.Fatalf("want 429, got %+v", f)
	}
}

func testServerError(t *testing.T, h *harness) {
	h.b.Fail(500, 10, 0)
	_, err := h.conversation("hi").Send(context.Background(), false)
	f := failure(t, err)
	if f.Status < 500 {
		t.Fatalf("want a server error, got %+v", f)
	}
	if !strings.Contains(f.Message, h.b.Name) {
		t.Errorf("the message does not say which provider failed: %q", f.Message)
	}
}

func testCancellation(t *testing.T, h *harness) {
	h.b.Slow(10*time.Second, "too late")
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := h.conversation("hi").Send(ctx, false); err == nil {
		t.Fatal("no error")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("cancellation took %v", d)
	}
	// The caller's goleak check proves the upstream request ended.
}

// Package providertest is the conformance suite every provider passes. It
// drives a provider through switchyard's real HTTP surface (router) with the
// go-openai client, against that vendor's fake, so what it checks is what an
// agent sees: plain and streamed answers, a multi-turn tool-call round trip,
// parallel tool calls, usage, 429 then success, 5xx, and cancellation.
//
// Each vendor's test file adapts its fake to a Backend and calls Run.
package providertest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/ingress/dialects"
	"github.com/switchyard/switchyard/policy"
	"github.com/switchyard/switchyard/providers"
	"github.com/switchyard/switchyard/router"
)

// Call is a tool call a fake is told to make.
type Call struct {
	Name string
	Args map[string]any
}

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

type harness struct {
	b      *Backend
	client *openai.Client
}

func setup(t *testing.T, newBackend func(t *testing.T) *Backend) *harness {
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
	cfg := openai.DefaultConfig("unused")
	cfg.BaseURL = srv.URL + "/v1"
	return &harness{b: b, client: openai.NewClientWithConfig(cfg)}
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

// Run runs the suite.
func Run(t *testing.T, newBackend func(t *testing.T) *Backend) {
	cases := []struct {
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
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.fn(t, setup(t, newBackend)) })
	}
}

func user(s string) openai.ChatCompletionMessage {
	return openai.ChatCompletionMessage{Role: openai.ChatMessageRoleUser, Content: s}
}

var readFile = openai.Tool{Type: openai.ToolTypeFunction, Function: &openai.FunctionDefinition{
	Name: "read_file", Description: "Read a file from the repository",
	Parameters: json.RawMessage(`{"type":"object","properties":{"path":{"type":"string"}},"required":["path"]}`),
}}

func (h *harness) request(msgs ...openai.ChatCompletionMessage) openai.ChatCompletionRequest {
	return openai.ChatCompletionRequest{Model: h.b.Name, Messages: msgs, Tools: []openai.Tool{readFile}}
}

func testPlain(t *testing.T, h *harness) {
	h.b.Text("Hello", ", world")
	resp, err := h.client.CreateChatCompletion(context.Background(), h.request(user("say hello")))
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Choices[0].Message.Content; got != "Hello, world" {
		t.Errorf("content %q", got)
	}
	if resp.Choices[0].FinishReason != openai.FinishReasonStop {
		t.Errorf("finish %q", resp.Choices[0].FinishReason)
	}
	if resp.Header().Get("X-Switchyard-Route") != h.b.Name {
		t.Errorf("route %q", resp.Header().Get("X-Switchyard-Route"))
	}
}

// stream reads a whole stream: text, tool calls accumulated by index, the
// finish reason and usage.
func (h *harness) stream(t *testing.T, req openai.ChatCompletionRequest) (string, map[int]*openai.ToolCall, openai.FinishReason, *openai.Usage) {
	t.Helper()
	req.Stream = true
	st, err := h.client.CreateChatCompletionStream(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var text strings.Builder
	calls := map[int]*openai.ToolCall{}
	var finish openai.FinishReason
	var usage *openai.Usage
	for {
		c, err := st.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if c.Usage != nil {
			usage = c.Usage
		}
		if len(c.Choices) == 0 {
			continue
		}
		d := c.Choices[0].Delta
		text.WriteString(d.Content)
		for _, tc := range d.ToolCalls {
			if tc.Index == nil {
				t.Fatal("a streamed tool call without index")
			}
			acc := calls[*tc.Index]
			if acc == nil {
				acc = &openai.ToolCall{}
				calls[*tc.Index] = acc
			}
			if tc.ID != "" {
				acc.ID = tc.ID
			}
			if tc.Function.Name != "" {
				acc.Function.Name = tc.Function.Name
			}
			acc.Function.Arguments += tc.Function.Arguments
		}
		if c.Choices[0].FinishReason != "" {
			finish = c.Choices[0].FinishReason
		}
	}
	return text.String(), calls, finish, usage
}

func testStreamed(t *testing.T, h *harness) {
	h.b.Text("one ", "two ", "three")
	text, calls, finish, _ := h.stream(t, h.request(user("count")))
	if text != "one two three" || len(calls) != 0 || finish != openai.FinishReasonStop {
		t.Errorf("text %q calls %v finish %q", text, calls, finish)
	}
}

func testUsage(t *testing.T, h *harness) {
	h.b.Text("fine")
	req := h.request(user("how are you"))
	req.StreamOptions = &openai.StreamOptions{IncludeUsage: true}
	_, _, _, usage := h.stream(t, req)
	if usage == nil || usage.PromptTokens <= 0 || usage.CompletionTokens <= 0 || usage.TotalTokens != usage.PromptTokens+usage.CompletionTokens {
		t.Errorf("usage %+v", usage)
	}
	h.b.Text("fine")
	resp, err := h.client.CreateChatCompletion(context.Background(), h.request(user("how are you")))
	if err != nil || resp.Usage.PromptTokens <= 0 {
		t.Errorf("non-streamed usage %+v %v", resp.Usage, err)
	}
}

// testToolRoundTrip is three turns: the model calls a tool, the client
// sends the result back with the history exactly as it received it, the
// model answers; then one more user turn. The fakes enforce their vendor's
// history rules (Mistral's ids, Gemini's thought signatures, Ollama's
// tool_name) on the later turns.
func testToolRoundTrip(t *testing.T, h *harness) {
	h.b.ToolCalls(Call{Name: "read_file", Args: map[string]any{"path": "main.go"}})
	history := []openai.ChatCompletionMessage{user("what does main.go do?")}
	resp, err := h.client.CreateChatCompletion(context.Background(), h.request(history...))
	if err != nil {
		t.Fatal(err)
	}
	msg := resp.Choices[0].Message
	if resp.Choices[0].FinishReason != openai.FinishReasonToolCalls || len(msg.ToolCalls) != 1 {
		t.Fatalf("turn 1: finish %q calls %+v", resp.Choices[0].FinishReason, msg.ToolCalls)
	}
	call := msg.ToolCalls[0]
	if call.ID == "" || call.Function.Name != "read_file" || call.Type != openai.ToolTypeFunction {
		t.Fatalf("turn 1 call %+v", call)
	}
	var args map[string]any
	if err := json.Unmarshal([]byte(call.Function.Arguments), &args); err != nil || args["path"] != "main.go" {
		t.Fatalf("arguments %q", call.Function.Arguments)
	}
	history = append(history, msg, openai.ChatCompletionMessage{Role: openai.ChatMessageRoleTool, ToolCallID: call.ID, Content: "package main\nfunc main() {}"})

	h.b.Text("It does nothing.")
	resp, err = h.client.CreateChatCompletion(context.Background(), h.request(history...))
	if err != nil {
		t.Fatalf("turn 2: %v", err)
	}
	if got := resp.Choices[0].Message.Content; got != "It does nothing." {
		t.Fatalf("turn 2: %q", got)
	}
	history = append(history, resp.Choices[0].Message, user("thanks"))
	h.b.Text("You're welcome.")
	text, _, _, _ := h.stream(t, h.request(history...))
	if text != "You're welcome." {
		t.Errorf("turn 3: %q", text)
	}
}

func testParallelToolCalls(t *testing.T, h *harness) {
	h.b.ToolCalls(Call{Name: "read_file", Args: map[string]any{"path": "a.go"}}, Call{Name: "read_file", Args: map[string]any{"path": "b.go"}})
	_, calls, finish, _ := h.stream(t, h.request(user("read a.go and b.go")))
	if finish != openai.FinishReasonToolCalls || len(calls) != 2 {
		t.Fatalf("finish %q calls %d", finish, len(calls))
	}
	if calls[0] == nil || calls[1] == nil || calls[0].ID == calls[1].ID || calls[0].ID == "" {
		t.Fatalf("calls %+v %+v", calls[0], calls[1])
	}
	paths := map[string]bool{}
	for _, c := range calls {
		var a map[string]string
		json.Unmarshal([]byte(c.Function.Arguments), &a)
		paths[a["path"]] = true
	}
	if !paths["a.go"] || !paths["b.go"] {
		t.Errorf("paths %v", paths)
	}
	// The same answer, whole, and the results sent back together.
	h.b.ToolCalls(Call{Name: "read_file", Args: map[string]any{"path": "a.go"}}, Call{Name: "read_file", Args: map[string]any{"path": "b.go"}})
	history := []openai.ChatCompletionMessage{user("read a.go and b.go")}
	resp, err := h.client.CreateChatCompletion(context.Background(), h.request(history...))
	if err != nil || len(resp.Choices[0].Message.ToolCalls) != 2 {
		t.Fatalf("whole: %+v %v", resp, err)
	}
	m := resp.Choices[0].Message
	history = append(history, m,
		openai.ChatCompletionMessage{Role: openai.ChatMessageRoleTool, ToolCallID: m.ToolCalls[0].ID, Content: "package a"},
		openai.ChatCompletionMessage{Role: openai.ChatMessageRoleTool, ToolCallID: m.ToolCalls[1].ID, Content: "package b"})
	h.b.Text("Two packages.")
	resp, err = h.client.CreateChatCompletion(context.Background(), h.request(history...))
	if err != nil || resp.Choices[0].Message.Content != "Two packages." {
		t.Fatalf("results back: %+v %v", resp, err)
	}
}

func testRateLimited(t *testing.T, h *harness) {
	h.b.Fail(429, 1, 0)
	h.b.Text("after the wait")
	resp, err := h.client.CreateChatCompletion(context.Background(), h.request(user("hi")))
	if h.b.Retries {
		if err != nil || resp.Choices[0].Message.Content != "after the wait" {
			t.Fatalf("%+v %v", resp, err)
		}
		if n := h.b.Requests(); n != 2 {
			t.Errorf("%d requests, want 2", n)
		}
		return
	}
	var apiErr *openai.APIError
	if !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != 429 || apiErr.Code != "rate_limited" {
		t.Fatalf("want rate_limited 429, got %v", err)
	}
}

func testServerError(t *testing.T, h *harness) {
	h.b.Fail(500, 10, 0)
	_, err := h.client.CreateChatCompletion(context.Background(), h.request(user("hi")))
	var apiErr *openai.APIError
	if !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != 502 || apiErr.Code != "upstream_error" {
		t.Fatalf("want upstream_error 502, got %v", err)
	}
	if !strings.Contains(apiErr.Message, h.b.Name) {
		t.Errorf("the message does not say which provider failed: %q", apiErr.Message)
	}
}

func testCancellation(t *testing.T, h *harness) {
	h.b.Slow(10*time.Second, "too late")
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := h.client.CreateChatCompletion(ctx, h.request(user("hi")))
	if err == nil {
		t.Fatal("no error")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("cancellation took %v", d)
	}
	// The caller's goleak check proves the upstream request ended.
}

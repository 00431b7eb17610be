package mistral

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/providers"
	"github.com/switchyard/switchyard/providers/mistral/mistralfake"
	"github.com/switchyard/switchyard/providers/retry"
)

func TestTextStream(t *testing.T) {
	f := newFake(t, mistralfake.Options{})
	f.Enqueue(mistralfake.Reply{Text: "Hello there, world.", Usage: &mistralfake.Usage{PromptTokens: 12, CompletionTokens: 5, CachedTokens: 8}})
	p := newProvider(t, f.URL, retry.Options{})
	a, err := sendChat(t, p, userRequest("hi"))
	if err != nil {
		t.Fatal(err)
	}
	if a.text != "Hello there, world." || a.finish != chat.FinishStop || a.chunks < 3 {
		t.Fatalf("%+v", a)
	}
	if a.usage == nil || *a.usage != (chat.Usage{PromptTokens: 12, CompletionTokens: 5, CachedTokens: 8}) {
		t.Fatalf("usage %+v", a.usage)
	}
	r, _ := f.LastRequest()
	if r.Header.Get("Authorization") != "Bearer "+testKey || string(r.Fields["stream"]) != "true" || string(r.Fields["model"]) != `"devstral-latest"` {
		t.Fatalf("request %v %s", r.Header, r.Body)
	}
}

// Whatever shape Mistral streams tool calls in, the client gets one index
// per call, the id and name on its first fragment, and the whole arguments.
func TestToolCallStreams(t *testing.T) {
	calls := []mistralfake.ToolCall{
		{ID: "aaaaaaaa1", Name: "read_file", Arguments: `{"path":"main.go"}`},
		{ID: "bbbbbbbb2", Name: "read_file", Arguments: `{"path":"go.mod"}`},
		{ID: "ccccccccc", Name: "list_dir", Arguments: `{"dir":"."}`},
	}
	for _, style := range []string{"whole", "separate", "incremental"} {
		t.Run(style, func(t *testing.T) {
			f := newFake(t, mistralfake.Options{})
			f.Enqueue(mistralfake.Reply{Text: "Let me look.", ToolCalls: calls, ToolCallStyle: style})
			a, err := sendChat(t, newProvider(t, f.URL, retry.Options{}), userRequest("look"))
			if err != nil {
				t.Fatal(err)
			}
			if a.finish != chat.FinishToolCalls || a.text != "Let me look." || len(a.calls) != len(calls) {
				t.Fatalf("%+v", a)
			}
			for i, c := range calls {
				if a.calls[i] != (chat.ToolCall{ID: c.ID, Name: c.Name, Arguments: c.Arguments}) {
					t.Errorf("call %d: %+v, want %+v", i, a.calls[i], c)
				}
			}
			if a.usage == nil || a.usage.PromptTokens == 0 {
				t.Errorf("usage %+v", a.usage)
			}
		})
	}
}

func TestToolCallWithoutIDGetsStableID(t *testing.T) {
	f := newFake(t, mistralfake.Options{})
	reply := mistralfake.Reply{ToolCalls: []mistralfake.ToolCall{{OmitID: true, Name: "now", Arguments: "{}"}}}
	f.Enqueue(reply, reply)
	p := newProvider(t, f.URL, retry.Options{})
	a1, err := sendChat(t, p, userRequest("time?"))
	if err != nil {
		t.Fatal(err)
	}
	if !mistralID.MatchString(a1.calls[0].ID) {
		t.Fatalf("synthesized id %q is not valid for Mistral", a1.calls[0].ID)
	}
	a2, _ := sendChat(t, p, userRequest("time?"))
	if a1.calls[0].ID == a2.calls[0].ID {
		t.Errorf("two answers gave their calls the same id %q", a1.calls[0].ID)
	}
}

func TestReasoningStream(t *testing.T) {
	f := newFake(t, mistralfake.Options{})
	f.Enqueue(mistralfake.Reply{Reasoning: "The user asks for 2+2.", Text: "4"})
	a, err := sendChat(t, newProvider(t, f.URL, retry.Options{}), userRequest("2+2?"))
	if err != nil {
		t.Fatal(err)
	}
	if a.reasoning != "The user asks for 2+2." || a.text != "4" {
		t.Fatalf("%+v", a)
	}
}

// The recorded-shape samples in testdata read as they should.
func TestRecordedSamples(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile("mistralfake/testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	sse := http.Header{"Content-Type": {"text/event-stream"}}
	tests := []struct {
		file  string
		check func(t *testing.T, a answer)
	}{
		{"stream_tool_calls.sse", func(t *testing.T, a answer) {
			if len(a.calls) != 2 || a.calls[0].ID != "gSIMJiOkT" || a.calls[1].Arguments != `{"path": "go.mod"}` || a.finish != chat.FinishToolCalls {
				t.Errorf("%+v", a)
			}
			if *a.usage != (chat.Usage{PromptTokens: 124, CompletionTokens: 22}) {
				t.Errorf("usage %+v", a.usage)
			}
		}},
		{"stream_text.sse", func(t *testing.T, a answer) {
			if a.text != "The module path is" || a.finish != chat.FinishLength || a.usage.CachedTokens != 16 {
				t.Errorf("%+v %+v", a, a.usage)
			}
		}},
		{"stream_reasoning.sse", func(t *testing.T, a answer) {
			if a.reasoning != "The user asks for 2+2." || a.text != "2 + 2 = 4" || a.usage.ReasoningTokens != 30 {
				t.Errorf("%+v %+v", a, a.usage)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			p := newProvider(t, servedRaw(t, 200, sse, read(tt.file)), retry.Options{})
			a, err := sendChat(t, p, userRequest("x"))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, a)
		})
	}
}

func TestRateLimitedThenSuccess(t *testing.T) {
	f := newFake(t, mistralfake.Options{})
	f.Enqueue(mistralfake.Reply{Status: 429, RetryAfter: "0", Times: 2}, mistralfake.Reply{Text: "finally"})
	a, err := sendChat(t, newProvider(t, f.URL, retry.Options{Max: 3}), userRequest("hi"))
	if err != nil {
		t.Fatal(err)
	}
	if a.text != "finally" {
		t.Fatalf("%+v", a)
	}
	reqs := f.Requests()
	if len(reqs) != 3 || reqs[0].Status != 429 || reqs[2].Status != 200 {
		t.Fatalf("%d requests", len(reqs))
	}
	// Every retry carried the whole body.
	for _, r := range reqs {
		if string(r.Body) != string(reqs[0].Body) || len(r.Messages) != 1 {
			t.Fatalf("retry body differs: %s", r.Body)
		}
	}
}

func TestRateLimitedAfterRetries(t *testing.T) {
	f := newFake(t, mistralfake.Options{})
	// Retry-After beyond MaxRetryAfter ends the retries at once; the
	// caller learns how long Mistral asked to wait.
	f.Enqueue(mistralfake.Reply{Status: 429, RetryAfter: "7"})
	_, err := newProvider(t, f.URL, retry.Options{MaxRetryAfter: time.Second}).Chat(context.Background(), userRequest("hi"))
	pe, ok := providers.AsError(err)
	if !ok || pe.Kind != providers.KindRateLimited || pe.RetryAfter != 7*time.Second || pe.Status != 429 {
		t.Fatalf("%#v", err)
	}
	if !strings.Contains(pe.Message, "mistral said: Rate limit exceeded") {
		t.Errorf("message %q", pe.Message)
	}
}

func TestServerErrorsExhausted(t *testing.T) {
	f := newFake(t, mistralfake.Options{})
	f.Enqueue(mistralfake.Reply{Status: 503, Times: 10})
	_, err := newProvider(t, f.URL, retry.Options{Max: 2}).Chat(context.Background(), userRequest("hi"))
	pe, ok := providers.AsError(err)
	if !ok || pe.Kind != providers.KindServer || pe.Status != 503 || !pe.Kind.Retryable() {
		t.Fatalf("%#v", err)
	}
	if n := len(f.Requests()); n != 3 {
		t.Errorf("%d attempts, want 3", n)
	}
}

func TestUpstreamErrorKinds(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		kind    providers.ErrorKind
		message string
	}{
		{"unauthorized", 401, `{"detail":"Unauthorized"}`, providers.KindAuth, "mistral said: Unauthorized"},
		{"unauthorized-old-shape", 401, `{"message":"Unauthorized","request_id":"c61f2f15"}`, providers.KindAuth, "mistral said: Unauthorized"},
		{"forbidden", 403, `{"object":"error","message":"Forbidden","type":"authentication_error","param":null,"code":null}`, providers.KindAuth, "Forbidden"},
		{"extra-forbidden-2026", 422, `{"detail":[{"type":"extra_forbidden","loc":["body","store"],"msg":"Extra inputs are not permitted","input":false}]}`,
			providers.KindRequest, "body.store: Extra inputs are not permitted (extra_forbidden)"},
		{"extra-forbidden-2024", 422, `{"object":"error","message":{"detail":[{"type":"extra_forbidden","loc":["body","messages",0,"user","name"],"msg":"Extra inputs are not permitted","input":""}]},"type":"invalid_request_error","param":null,"code":null}`,
			providers.KindRequest, "body.messages.0.user.name: Extra inputs are not permitted"},
		{"message-order", 400, `{"object":"error","message":"Unexpected role 'user' after role 'tool'","type":"invalid_request_message_order","param":null,"code":"3230"}`,
			providers.KindRequest, "mistral said: Unexpected role 'user' after role 'tool'"},
		{"context-length", 400, `{"object":"error","message":"Prompt contains 321774 tokens and 0 draft tokens, too large for model with 262144 maximum context length","type":"invalid_request_invalid_args","param":null,"code":"3051","raw_status_code":400}`,
			providers.KindContextLength, "321774 tokens"},
		{"invalid-model", 400, `{"object":"error","message":"Invalid model: devstral-latest","type":"invalid_model","param":null,"code":"1500"}`,
			providers.KindAuth, "switchyard doctor"},
		{"not-json", 502, `<html>Bad Gateway</html>`, providers.KindServer, "mistral said: <html>Bad Gateway</html>"},
		{"empty-body", 400, ``, providers.KindRequest, "mistral said: Bad Request"},
		{"wrong-base-url", 404, `{"detail":"Not Found"}`, providers.KindProtocol, "base_url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProvider(t, servedRaw(t, tt.status, nil, tt.body), retry.Options{Max: -1})
			_, err := p.Chat(context.Background(), userRequest("hi"))
			pe, ok := providers.AsError(err)
			if !ok || pe.Kind != tt.kind || pe.Status != tt.status || pe.Provider != "devstral" {
				t.Fatalf("%#v", err)
			}
			if !strings.Contains(pe.Message, tt.message) {
				t.Errorf("message %q lacks %q", pe.Message, tt.message)
			}
		})
	}
}

func TestFakeRejectionsReachTheCaller(t *testing.T) {
	f := newFake(t, mistralfake.Options{ContextWindow: 50})
	_, err := sendChat(t, newProvider(t, f.URL, retry.Options{}), userRequest(strings.Repeat("long prompt ", 100)))
	if pe, ok := providers.AsError(err); !ok || pe.Kind != providers.KindContextLength {
		t.Fatalf("%#v", err)
	}
	p := New(Options{BaseURL: f.URL, Model: "devstral-small-2505", APIKey: testKey, HTTPClient: newProvider(t, f.URL, retry.Options{}).hc})
	_, err = p.Chat(context.Background(), userRequest("hi"))
	if pe, ok := providers.AsError(err); !ok || pe.Kind != providers.KindAuth || !strings.Contains(pe.Message, "Invalid model") {
		t.Fatalf("%#v", err)
	}
}

func TestNoKeyIsUnavailable(t *testing.T) {
	p := New(Options{Name: "devstral", BaseURL: "http://127.0.0.1:1/v1", Model: "devstral-latest"})
	_, err := p.Chat(context.Background(), userRequest("hi"))
	if pe, ok := providers.AsError(err); !ok || pe.Kind != providers.KindUnavailable {
		t.Fatalf("%#v", err)
	}
	if err := p.CheckModel(context.Background()); err == nil {
		t.Fatal("CheckModel without a key succeeded")
	}
}

func TestUnreachable(t *testing.T) {
	srv := newRawServer(200, nil, "")
	url := srv.URL + "/v1"
	srv.Close() // nothing listens there now
	_, err := newProvider(t, url, retry.Options{Max: 1}).Chat(context.Background(), userRequest("hi"))
	pe, ok := providers.AsError(err)
	if !ok || pe.Kind != providers.KindUnavailable || pe.Status != 0 {
		t.Fatalf("%#v", err)
	}
}

func TestSanitizerRefusalIsKindRequest(t *testing.T) {
	f := newFake(t, mistralfake.Options{})
	req := &chat.Request{Messages: []chat.Message{user("a"), assistant("", call("c1", "f", "{}"))}}
	_, err := newProvider(t, f.URL, retry.Options{}).Chat(context.Background(), req)
	if pe, ok := providers.AsError(err); !ok || pe.Kind != providers.KindRequest {
		t.Fatalf("%#v", err)
	}
	if n := len(f.Requests()); n != 0 {
		t.Errorf("%d requests reached Mistral", n)
	}
}

// An answer that stops early is an error, never a complete answer.
func TestIncompleteAnswers(t *testing.T) {
	tests := []struct {
		name  string
		reply mistralfake.Reply
		kind  providers.ErrorKind
	}{
		{"connection-cut", mistralfake.Reply{Text: "one two three four five", CutAfter: 3}, providers.KindUnavailable},
		{"done-without-finish", mistralfake.Reply{Text: "one two three", OmitFinish: true}, providers.KindServer},
		{"finish-reason-error", mistralfake.Reply{Text: "one two", FinishReason: "error"}, providers.KindServer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, mistralfake.Options{})
			f.Enqueue(tt.reply)
			s, err := newProvider(t, f.URL, retry.Options{}).Chat(context.Background(), userRequest("hi"))
			if err != nil {
				t.Fatal(err)
			}
			_, err = collect(t, s)
			pe, ok := providers.AsError(err)
			if !ok || errors.Is(err, io.EOF) || pe.Kind != tt.kind {
				t.Fatalf("%#v", err)
			}
			// The failure sticks.
			if _, again := s.Next(); again == nil || errors.Is(again, io.EOF) {
				t.Fatalf("Next after the failure: %v", again)
			}
		})
	}
}

func TestModelLengthIsLength(t *testing.T) {
	f := newFake(t, mistralfake.Options{})
	f.Enqueue(mistralfake.Reply{Text: "a b c", FinishReason: "model_length"})
	a, err := sendChat(t, newProvider(t, f.URL, retry.Options{}), userRequest("hi"))
	if err != nil || a.finish != chat.FinishLength {
		t.Fatalf("%+v %v", a, err)
	}
}

func TestStreamErrorEvent(t *testing.T) {
	body := "data: {\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"par\"},\"finish_reason\":null}]}\n\n" +
		"data: {\"object\":\"error\",\"message\":\"Service overloaded\",\"type\":\"server_error\",\"param\":null,\"code\":null}\n\n"
	p := newProvider(t, servedRaw(t, 200, http.Header{"Content-Type": {"text/event-stream"}}, body), retry.Options{})
	_, err := sendChat(t, p, userRequest("hi"))
	if pe, ok := providers.AsError(err); !ok || pe.Kind != providers.KindServer || !strings.Contains(pe.Message, "Service overloaded") {
		t.Fatalf("%#v", err)
	}
}

// Usage that comes after the finish reason, in an event of its own, still
// lands on the final chunk.
func TestUsageAfterFinish(t *testing.T) {
	body := "data: {\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"},\"finish_reason\":\"stop\"}]}\n\n" +
		"data: {\"id\":\"x\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}}\n\n" +
		"data: [DONE]\n\n"
	p := newProvider(t, servedRaw(t, 200, http.Header{"Content-Type": {"text/event-stream"}}, body), retry.Options{})
	a, err := sendChat(t, p, userRequest("hi"))
	if err != nil || a.usage == nil || a.usage.PromptTokens != 3 {
		t.Fatalf("%+v %v", a, err)
	}
}

func TestPrefixContinuation(t *testing.T) {
	req := &chat.Request{Messages: []chat.Message{user("Write a haiku"), assistant("Autumn moon")}}
	for _, tt := range []struct{ reply, want string }{
		{"Autumn moon rises over the quiet pond", " rises over the quiet pond"}, // the answer repeats the prefix
		{"Autumn leaves", "Autumn leaves"},                                      // it does not
	} {
		f := newFake(t, mistralfake.Options{})
		f.Enqueue(mistralfake.Reply{Text: tt.reply})
		a, err := sendChat(t, newProvider(t, f.URL, retry.Options{}), req)
		if err != nil {
			t.Fatal(err)
		}
		if a.text != tt.want {
			t.Errorf("answer %q, want %q", a.text, tt.want)
		}
		r, _ := f.LastRequest()
		if last := r.Messages[len(r.Messages)-1]; !last.Prefix || last.Role != "assistant" {
			t.Errorf("last message sent %+v", last)
		}
	}
}

// isolated starts a fake and a provider with their own transport, and
// returns a function that shuts both down and checks that no goroutine of
// the request outlived it.
func isolated(t *testing.T) (*mistralfake.Server, *Provider, func()) {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	f := mistralfake.Start(mistralfake.Options{APIKey: testKey})
	tr := retry.NewTransport(time.Second)
	p := New(Options{BaseURL: f.URL, Model: "devstral-latest", APIKey: testKey,
		HTTPClient: retry.NewClient(retry.Options{Transport: tr, WaitMin: time.Millisecond, WaitMax: 5 * time.Millisecond})})
	return f, p, func() {
		f.Close()
		tr.CloseIdleConnections()
		goleak.VerifyNone(t, ignore)
	}
}

func TestCancellation(t *testing.T) {
	t.Run("before-headers", func(t *testing.T) {
		f, p, done := isolated(t)
		defer done()
		f.Enqueue(mistralfake.Reply{Text: "late", Delay: time.Minute})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			for len(f.Requests()) == 0 && ctx.Err() == nil {
				time.Sleep(time.Millisecond)
			}
			cancel()
		}()
		_, err := p.Chat(ctx, userRequest("hi"))
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("%#v", err)
		}
	})
	t.Run("mid-stream", func(t *testing.T) {
		f, p, done := isolated(t)
		defer done()
		f.Enqueue(mistralfake.Reply{Text: "one two three four", StallAfter: 2})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		s, err := p.Chat(ctx, userRequest("hi"))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if c, err := s.Next(); err != nil || c.Content != "one" {
			t.Fatalf("%+v %v", c, err)
		}
		cancel()
		_, err = s.Next()
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("%#v", err)
		}
		if pe, ok := providers.AsError(err); !ok || pe.Kind == providers.KindServer {
			t.Fatalf("%#v", err)
		}
	})
	t.Run("deadline", func(t *testing.T) {
		f, p, done := isolated(t)
		defer done()
		f.Enqueue(mistralfake.Reply{Text: "late", Delay: time.Minute})
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		_, err := p.Chat(ctx, userRequest("hi"))
		if pe, ok := providers.AsError(err); !ok || pe.Kind != providers.KindTimeout || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("%#v", err)
		}
	})
}

// No error, whatever happened, carries the API key.
func TestErrorsNeverContainTheKey(t *testing.T) {
	echo := `{"object":"error","message":"bad key ` + testKey + `","type":"authentication_error","param":null,"code":null}`
	var errs []error
	for _, status := range []int{400, 401, 403, 422, 429, 500} {
		p := newProvider(t, servedRaw(t, status, http.Header{"Retry-After": {"1"}}, echo), retry.Options{Max: -1})
		_, err := p.Chat(context.Background(), userRequest("hi"))
		errs = append(errs, err, p.CheckModel(context.Background()))
	}
	f := newFake(t, mistralfake.Options{})
	f.Enqueue(mistralfake.Reply{Text: "a b c d", CutAfter: 2}, mistralfake.Reply{Text: "a", OmitFinish: true})
	p := newProvider(t, f.URL, retry.Options{})
	for range 2 {
		s, err := p.Chat(context.Background(), userRequest("hi"))
		if err != nil {
			t.Fatal(err)
		}
		_, err = collect(t, s)
		errs = append(errs, err)
	}
	wrong := New(Options{BaseURL: f.URL, Model: "devstral-latest", APIKey: testKey + "-wrong", HTTPClient: p.hc})
	_, err := wrong.Chat(context.Background(), userRequest("hi"))
	errs = append(errs, err, wrong.CheckModel(context.Background()))
	srv := newRawServer(200, nil, "")
	url := srv.URL + "/v1"
	srv.Close()
	_, err = newProvider(t, url, retry.Options{Max: -1}).Chat(context.Background(), userRequest("hi"))
	errs = append(errs, err)

	for i, err := range errs {
		if err == nil {
			t.Errorf("case %d: no error", i)
			continue
		}
		if strings.Contains(err.Error(), testKey) || strings.Contains(fmt.Sprintf("%#v", err), testKey) {
			t.Errorf("case %d: error carries the key: %v", i, err)
		}
		if pe, ok := providers.AsError(err); ok && strings.Contains(pe.Message, testKey) {
			t.Errorf("case %d: message carries the key: %q", i, pe.Message)
		}
	}
}

func TestCheckModel(t *testing.T) {
	when := time.Date(2026, 7, 31, 12, 0, 0, 0, time.UTC)
	f := newFake(t, mistralfake.Options{Models: []mistralfake.Model{
		{ID: "devstral-2512", Aliases: []string{"devstral-latest"}, Deprecation: &when, Replacement: "mistral-medium-latest"},
		{ID: "mistral-medium-3-5", Aliases: []string{"mistral-medium-latest"}},
	}})
	hc := newProvider(t, f.URL, retry.Options{}).hc
	check := func(model string) error {
		return New(Options{BaseURL: f.URL, Model: model, APIKey: testKey, HTTPClient: hc}).CheckModel(context.Background())
	}
	if err := check("mistral-medium-latest"); err != nil {
		t.Errorf("listed alias: %v", err)
	}
	if err := check("mistral-medium-3-5"); err != nil {
		t.Errorf("listed id: %v", err)
	}
	var dep *DeprecatedError
	if err := check("devstral-latest"); !errors.As(err, &dep) || !dep.When.Equal(when) || dep.Replacement != "mistral-medium-latest" {
		t.Errorf("deprecated: %v", err)
	}
	if err := check("devstral-small-2505"); !errors.Is(err, ErrModelNotListed) {
		t.Errorf("retired: %v", err)
	}
	r, _ := f.LastRequest()
	if r.Method != http.MethodGet || r.Path != "/v1/models" {
		t.Errorf("asked %s %s", r.Method, r.Path)
	}
}

// The body that leaves is exactly the sanitizer's, not go-openai's.
func TestWireBodyIsOurs(t *testing.T) {
	f := newFake(t, mistralfake.Options{})
	req := &chat.Request{Messages: []chat.Message{user("hi")}, Temperature: ptr(0.0), Seed: ptr[int64](3), User: "someone"}
	if _, err := sendChat(t, newProvider(t, f.URL, retry.Options{}), req); err != nil {
		t.Fatal(err)
	}
	r, _ := f.LastRequest()
	want, _ := sanitize(req, "devstral-latest")
	wantBody, _ := json.Marshal(want)
	if string(r.Body) != string(wantBody) {
		t.Fatalf("sent %s\nwant %s", r.Body, wantBody)
	}
}

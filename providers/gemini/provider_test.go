package gemini

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/providers"
	"github.com/switchyard/switchyard/providers/gemini/geminifake"
	"github.com/switchyard/switchyard/providers/providertest"
	"github.com/switchyard/switchyard/providers/retry"
)

// testKey is distinctive so a leak into any error text is unmistakable.
const testKey = "AIzaSy-TEST-KEY-d1st1nct1ve-7f3a9c"

func TestMain(m *testing.M) { goleak.VerifyTestMain(m, providertest.LeakOptions...) }

type harness struct {
	fake *geminifake.Server
	p    *Provider
}

func newHarness(t *testing.T, fo geminifake.Options, po Options) *harness {
	t.Helper()
	if fo.Key == "" {
		fo.Key = testKey
	}
	fake := geminifake.New(fo)
	tr := retry.NewTransport(time.Second)
	t.Cleanup(func() {
		fake.Close()
		tr.CloseIdleConnections()
	})
	po.BaseURL = fake.URL
	if po.Model == "" {
		po.Model = "gemini-2.5-pro"
	}
	if po.APIKey == "" {
		po.APIKey = testKey
	}
	if po.HTTPClient == nil {
		po.HTTPClient = retry.NewClient(retry.Options{Max: 3, WaitMin: time.Millisecond, WaitMax: 5 * time.Millisecond, Transport: tr})
	}
	p, err := New(context.Background(), po)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{fake: fake, p: p}
}

// collect reads a stream to its end.
func collect(t *testing.T, s providers.Stream) ([]chat.Chunk, error) {
	t.Helper()
	defer s.Close()
	var out []chat.Chunk
	for {
		c, err := s.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, c)
	}
}

type answer struct {
	content, reasoning string
	calls              []chat.ToolCallDelta
	finish             chat.FinishReason
	usage              *chat.Usage
}

func assemble(chunks []chat.Chunk) answer {
	var a answer
	for _, c := range chunks {
		a.content += c.Content
		a.reasoning += c.Reasoning
		a.calls = append(a.calls, c.ToolCalls...)
		if c.FinishReason != "" {
			a.finish = c.FinishReason
			a.usage = c.Usage
		}
	}
	return a
}

func sendChat(t *testing.T, h *harness, req *chat.Request) (answer, error) {
	t.Helper()
	s, err := h.p.Chat(context.Background(), req)
	if err != nil {
		return answer{}, err
	}
	chunks, err := collect(t, s)
	return assemble(chunks), err
}

func userMsg(text string) chat.Message {
	return chat.Message{Role: chat.RoleUser, Content: []chat.Part{{Type: chat.PartText, Text: text}}}
}

var readFileTool = chat.Tool{Name: "read_file", Description: "Read a file",
	Parameters: []byte(`{"type":"object","properties":{"path":{"type":"string"}},"required":["path"]}`)}

func TestTextStream(t *testing.T) {
	h := newHarness(t, geminifake.Options{}, Options{})
	h.fake.Enqueue(geminifake.Reply{Text: []string{"Hel", "lo"}, ThoughtTokens: 40})
	a, err := sendChat(t, h, &chat.Request{Messages: []chat.Message{
		{Role: chat.RoleSystem, Content: []chat.Part{{Type: chat.PartText, Text: "be brief"}}},
		userMsg("hi"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if a.content != "Hello" || a.finish != chat.FinishStop || len(a.calls) != 0 {
		t.Fatalf("answer %+v", a)
	}
	if a.usage == nil || a.usage.ReasoningTokens != 40 || a.usage.CompletionTokens != 40+2 || a.usage.PromptTokens == 0 {
		t.Fatalf("usage %+v: thinking must count as completion", a.usage)
	}
	rec := h.fake.Requests()[0]
	if got := rec.Header.Get("x-goog-api-key"); got != testKey {
		t.Fatalf("key header %q", got)
	}
	if rec.Request.SystemInstruction == nil || rec.Request.SystemInstruction.Parts[0].Text != "be brief" {
		t.Fatalf("system instruction %+v", rec.Request.SystemInstruction)
	}
	if !strings.Contains(rec.RawQuery, "alt=sse") {
		t.Fatalf("query %q", rec.RawQuery)
	}
}

// A multi-turn tool loop: the fake issues signatures and rejects a history
// that does not carry them back, so passing proves the round trip.
func TestToolRoundTripRestoresSignatures(t *testing.T) {
	h := newHarness(t, geminifake.Options{}, Options{})
	h.fake.Enqueue(
		geminifake.CallsReply(geminifake.Call{Name: "read_file", Args: map[string]any{"path": "a.go"}}),
		geminifake.Reply{Text: []string{"thinking more"}, Calls: []geminifake.Call{{Name: "read_file", Args: map[string]any{"path": "b.go"}}}},
		geminifake.TextReply("done"),
	)
	msgs := []chat.Message{userMsg("read a.go then b.go")}
	req := &chat.Request{Tools: []chat.Tool{readFileTool}}
	for step := 0; step < 2; step++ {
		req.Messages = msgs
		a, err := sendChat(t, h, req)
		if err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		if a.finish != chat.FinishToolCalls || len(a.calls) != 1 {
			t.Fatalf("step %d: answer %+v", step, a)
		}
		c := a.calls[0]
		if !strings.HasPrefix(c.ID, "call_") || !strings.Contains(c.ID, "__thought__") {
			t.Fatalf("id %q does not carry the signature", c.ID)
		}
		assistant := chat.Message{Role: chat.RoleAssistant, ToolCalls: []chat.ToolCall{{ID: c.ID, Name: c.Name, Arguments: c.Arguments}}}
		if a.content != "" {
			assistant.Content = []chat.Part{{Type: chat.PartText, Text: a.content}}
		}
		msgs = append(msgs, assistant, chat.Message{Role: chat.RoleTool, ToolCallID: c.ID,
			Content: []chat.Part{{Type: chat.PartText, Text: "package x"}}})
	}
	req.Messages = msgs
	a, err := sendChat(t, h, req)
	if err != nil {
		t.Fatal(err)
	}
	if a.content != "done" || a.finish != chat.FinishStop {
		t.Fatalf("final answer %+v", a)
	}
	// The last request carried both signatures, each the one issued.
	last := h.fake.Requests()[2].Request
	signed := 0
	for _, c := range last.Contents {
		for _, p := range c.Parts {
			if p.FunctionCall != nil {
				sig, _ := base64.StdEncoding.DecodeString(p.ThoughtSignature)
				if !h.fake.Issued(sig) {
					t.Fatalf("call %s carries %q, not an issued signature", p.FunctionCall.Name, p.ThoughtSignature)
				}
				signed++
			}
			if fr := p.FunctionResponse; fr != nil && (fr.Name != "read_file" || fr.Response["output"] != "package x") {
				t.Fatalf("function response %+v", fr)
			}
		}
	}
	if signed != 2 {
		t.Fatalf("%d signed calls, want 2", signed)
	}
}

func TestForeignHistoryGetsPlaceholder(t *testing.T) {
	h := newHarness(t, geminifake.Options{}, Options{})
	req := &chat.Request{Tools: []chat.Tool{readFileTool}, Messages: []chat.Message{
		userMsg("read both"),
		{Role: chat.RoleAssistant, ToolCalls: []chat.ToolCall{
			{ID: "call_ab12cd34", Name: "read_file", Arguments: `{"path":"a"}`},
			{ID: "Xy9ZaBcDe", Name: "read_file", Arguments: `{"path":"b"}`},
		}},
		{Role: chat.RoleTool, ToolCallID: "call_ab12cd34", Content: []chat.Part{{Text: `{"text":"A"}`}}},
		{Role: chat.RoleTool, ToolCallID: "Xy9ZaBcDe", Content: []chat.Part{{Text: "B"}}},
	}}
	a, err := sendChat(t, h, req)
	if err != nil {
		t.Fatal(err)
	}
	if a.content != "ok" {
		t.Fatalf("answer %+v", a)
	}
	got := h.fake.Requests()[0].Request
	if len(got.Contents) != 3 {
		t.Fatalf("%d contents, want user/model/user", len(got.Contents))
	}
	model := got.Contents[1].Parts
	if model[0].ThoughtSignature == "" || model[1].ThoughtSignature != "" {
		t.Fatalf("placeholder must sit on the first call only: %+v", model)
	}
	results := got.Contents[2].Parts
	if len(results) != 2 || results[0].FunctionResponse.Response["text"] != "A" || results[1].FunctionResponse.Response["output"] != "B" {
		t.Fatalf("grouped results %+v", results)
	}
}

func TestParallelCallsDistinctIndexes(t *testing.T) {
	h := newHarness(t, geminifake.Options{}, Options{})
	h.fake.Enqueue(geminifake.Reply{Text: []string{"Reading."}, Calls: []geminifake.Call{
		{Name: "read_file", Args: map[string]any{"path": "a"}},
		{Name: "read_file", Args: map[string]any{"path": "b"}},
		{Name: "read_file", Args: map[string]any{"path": "c"}},
	}})
	a, err := sendChat(t, h, &chat.Request{Tools: []chat.Tool{readFileTool}, Messages: []chat.Message{userMsg("read three")}})
	if err != nil {
		t.Fatal(err)
	}
	if a.finish != chat.FinishToolCalls || len(a.calls) != 3 {
		t.Fatalf("answer %+v", a)
	}
	ids := map[string]bool{}
	for i, c := range a.calls {
		if c.Index != i || ids[c.ID] || c.Name != "read_file" {
			t.Fatalf("call %d: %+v", i, c)
		}
		ids[c.ID] = true
	}
	if a.calls[2].Arguments != `{"path":"c"}` {
		t.Fatalf("arguments %q", a.calls[2].Arguments)
	}
}

// Gemini 2.5 signs the reply's first part; it must come back on that part.
func TestLeadSignatureReturnsToFirstPart(t *testing.T) {
	h := newHarness(t, geminifake.Options{}, Options{})
	h.fake.Enqueue(geminifake.Reply{SignFirstPartOnly: true, Text: []string{"Let me look."},
		Calls: []geminifake.Call{{Name: "read_file", Args: map[string]any{"path": "a"}}}})
	req := &chat.Request{Tools: []chat.Tool{readFileTool}, Messages: []chat.Message{userMsg("look")}}
	a, err := sendChat(t, h, req)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(a.calls[0].ID, sepLead) {
		t.Fatalf("id %q should carry a lead signature", a.calls[0].ID)
	}
	req.Messages = append(req.Messages,
		chat.Message{Role: chat.RoleAssistant, Content: []chat.Part{{Text: a.content}},
			ToolCalls: []chat.ToolCall{{ID: a.calls[0].ID, Name: "read_file", Arguments: a.calls[0].Arguments}}},
		chat.Message{Role: chat.RoleTool, ToolCallID: a.calls[0].ID, Content: []chat.Part{{Text: "x"}}})
	if _, err := sendChat(t, h, req); err != nil {
		t.Fatal(err)
	}
	model := h.fake.Requests()[1].Request.Contents[1]
	if model.Parts[0].ThoughtSignature == "" || model.Parts[1].ThoughtSignature != "" {
		t.Fatalf("signature should be on the text part: %+v", model.Parts)
	}
}

// Ids too long for Options.MaxToolCallID keep the signature in memory.
func TestLongSignatureUsesMap(t *testing.T) {
	h := newHarness(t, geminifake.Options{SignatureBytes: 4000}, Options{MaxToolCallID: 64})
	h.fake.Enqueue(geminifake.CallsReply(geminifake.Call{Name: "read_file", Args: map[string]any{"path": "a"}}))
	req := &chat.Request{Tools: []chat.Tool{readFileTool}, Messages: []chat.Message{userMsg("go")}}
	a, err := sendChat(t, h, req)
	if err != nil {
		t.Fatal(err)
	}
	id := a.calls[0].ID
	if len(id) > 64 || strings.Contains(id, "__thought") {
		t.Fatalf("id %q should be short", id)
	}
	req.Messages = append(req.Messages,
		chat.Message{Role: chat.RoleAssistant, ToolCalls: []chat.ToolCall{{ID: id, Name: "read_file", Arguments: "{}"}}},
		chat.Message{Role: chat.RoleTool, ToolCallID: id, Content: []chat.Part{{Text: "x"}}})
	if _, err := sendChat(t, h, req); err != nil {
		t.Fatal(err)
	}
	p := h.fake.Requests()[1].Request.Contents[1].Parts[0]
	sig, _ := base64.StdEncoding.DecodeString(p.ThoughtSignature)
	if !h.fake.Issued(sig) {
		t.Fatal("signature from the map was not restored")
	}
}

func TestRateLimitThenSuccessThroughRetry(t *testing.T) {
	h := newHarness(t, geminifake.Options{}, Options{})
	h.fake.Enqueue(geminifake.Reply{Status: 429, RetryDelay: "0s", Times: 2}, geminifake.TextReply("after retry"))
	a, err := sendChat(t, h, &chat.Request{Messages: []chat.Message{userMsg("hi")}})
	if err != nil {
		t.Fatal(err)
	}
	if a.content != "after retry" || len(h.fake.Requests()) != 3 {
		t.Fatalf("answer %+v after %d requests", a, len(h.fake.Requests()))
	}
}

func TestRateLimitExhausted(t *testing.T) {
	h := newHarness(t, geminifake.Options{}, Options{})
	h.fake.Enqueue(geminifake.Reply{Status: 429, RetryDelay: "17s", RetryAfter: "0", Times: 10})
	_, err := sendChat(t, h, &chat.Request{Messages: []chat.Message{userMsg("hi")}})
	pe, ok := providers.AsError(err)
	if !ok || pe.Kind != providers.KindRateLimited || pe.Status != 429 {
		t.Fatalf("err %v", err)
	}
	if pe.RetryAfter != 0 {
		// The header (0) wins over RetryInfo when both are present.
		t.Fatalf("RetryAfter %v, want the header's 0", pe.RetryAfter)
	}
	if n := len(h.fake.Requests()); n != 4 {
		t.Fatalf("%d attempts, want 1+3 retries", n)
	}
}

func TestErrorKinds(t *testing.T) {
	tests := []struct {
		name  string
		reply geminifake.Reply
		fo    geminifake.Options
		key   string
		model string
		kind  providers.ErrorKind
		want  string
	}{
		{name: "server-500", reply: geminifake.Reply{Status: 500, Times: 4}, kind: providers.KindServer, want: "internal error"},
		{name: "overloaded-503", reply: geminifake.Reply{Status: 503, Times: 4}, kind: providers.KindServer, want: "overloaded"},
		{name: "forbidden-403", reply: geminifake.Reply{Status: 403, Message: "Permission denied on resource project x."}, kind: providers.KindAuth},
		{name: "wrong-key", key: "AIzaSy-WRONG-KEY-0000000000000", kind: providers.KindAuth, want: "API key not valid"},
		{name: "unknown-model", model: "gemini-1.0-gone", kind: providers.KindUnavailable, want: "retired or misspelled"},
		{name: "context-length", fo: geminifake.Options{InputTokenLimit: 10}, kind: providers.KindContextLength, want: "exceeds the maximum number of tokens"},
		{name: "other-400", reply: geminifake.Reply{Status: 400, Message: "Request contains an invalid argument."}, kind: providers.KindRequest},
		{name: "key-echoed-by-upstream", reply: geminifake.Reply{Status: 400, Message: "key " + testKey + " is restricted"}, kind: providers.KindRequest, want: "[redacted]"},
		{name: "rate-limit-retryinfo", reply: geminifake.Reply{Status: 429, RetryDelay: "90s", Times: 4}, kind: providers.KindRateLimited},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.fo, Options{APIKey: tt.key, Model: tt.model})
			h.fake.Enqueue(tt.reply)
			_, err := sendChat(t, h, &chat.Request{Messages: []chat.Message{userMsg("hi")}})
			pe, ok := providers.AsError(err)
			if !ok || pe.Kind != tt.kind {
				t.Fatalf("err %v (kind %v), want kind %v", err, kindOf(err), tt.kind)
			}
			if !strings.Contains(pe.Message, tt.want) || !strings.HasPrefix(pe.Message, "gemini") {
				t.Fatalf("message %q, want it to contain %q", pe.Message, tt.want)
			}
			if tt.name == "rate-limit-retryinfo" && pe.RetryAfter != 90*time.Second {
				t.Fatalf("RetryAfter %v, want RetryInfo's 90s", pe.RetryAfter)
			}
			assertNoKey(t, err)
		})
	}
}

func kindOf(err error) any {
	if pe, ok := providers.AsError(err); ok {
		return pe.Kind
	}
	return nil
}

func assertNoKey(t *testing.T, err error) {
	t.Helper()
	if err != nil && (strings.Contains(err.Error(), testKey) || strings.Contains(err.Error(), "AIzaSy-WRONG")) {
		t.Fatalf("error leaks the key: %v", err)
	}
}

func TestFinishReasons(t *testing.T) {
	tests := []struct {
		name   string
		reply  geminifake.Reply
		finish chat.FinishReason
		err    string
	}{
		{"max-tokens", geminifake.Reply{Text: []string{"partial"}, FinishReason: "MAX_TOKENS"}, chat.FinishLength, ""},
		{"safety", geminifake.Reply{FinishReason: "SAFETY"}, chat.FinishContentFilter, ""},
		{"recitation", geminifake.Reply{Text: []string{"x"}, FinishReason: "RECITATION"}, chat.FinishContentFilter, ""},
		{"prompt-blocked", geminifake.Reply{BlockReason: "PROHIBITED_CONTENT"}, chat.FinishContentFilter, ""},
		{"malformed-call", geminifake.Reply{Text: []string{"x"}, FinishReason: "MALFORMED_FUNCTION_CALL", FinishMessage: "Malformed function call: print(x"}, "", "MALFORMED_FUNCTION_CALL"},
		{"no-finish", geminifake.Reply{Text: []string{"a", "b"}, NoFinish: true}, "", "without a finish reason"},
		{"cut-mid-stream", geminifake.Reply{Text: []string{"a", "b", "c"}, CutAfter: 2}, "", "gemini"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, geminifake.Options{}, Options{})
			h.fake.Enqueue(tt.reply)
			a, err := sendChat(t, h, &chat.Request{Messages: []chat.Message{userMsg("hi")}})
			if tt.err != "" {
				pe, ok := providers.AsError(err)
				if !ok || !strings.Contains(pe.Error(), tt.err) || pe.Kind.Retryable() != true {
					t.Fatalf("err %v, want a provider error containing %q", err, tt.err)
				}
				return
			}
			if err != nil || a.finish != tt.finish {
				t.Fatalf("answer %+v err %v, want finish %q", a, err, tt.finish)
			}
		})
	}
}

// A mid-stream cut after content has arrived must surface from Next, never
// as a complete answer.
func TestCutAfterFirstChunkIsError(t *testing.T) {
	h := newHarness(t, geminifake.Options{}, Options{})
	h.fake.Enqueue(geminifake.Reply{Text: []string{"one", "two", "three"}, CutAfter: 1})
	s, err := h.p.Chat(context.Background(), &chat.Request{Messages: []chat.Message{userMsg("hi")}})
	if err != nil {
		t.Fatal(err)
	}
	chunks, err := collect(t, s)
	if err == nil {
		t.Fatalf("cut stream ended cleanly with %+v", chunks)
	}
	if pe, ok := providers.AsError(err); !ok || pe.Kind != providers.KindServer {
		t.Fatalf("err %v, want KindServer", err)
	}
	if len(chunks) != 1 || chunks[0].Content != "one" {
		t.Fatalf("chunks before the cut %+v", chunks)
	}
}

func TestCancellationReleasesEverything(t *testing.T) {
	h := newHarness(t, geminifake.Options{}, Options{})
	h.fake.Enqueue(geminifake.Reply{Text: []string{"a", "b", "c", "d"}, EventDelay: 5 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	s, err := h.p.Chat(ctx, &chat.Request{Messages: []chat.Message{userMsg("hi")}})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := s.Next(); err != nil || c.Content != "a" {
		t.Fatalf("first chunk %+v %v", c, err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := s.Next()
		done <- err
	}()
	cancel()
	err = <-done
	if err == nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("Next after cancel: %v", err)
	}
	s.Close()
	s.Close()
}

func TestCloseFromAnotherGoroutine(t *testing.T) {
	h := newHarness(t, geminifake.Options{}, Options{})
	h.fake.Enqueue(geminifake.Reply{Text: []string{"a", "b"}, EventDelay: 5 * time.Second})
	s, err := h.p.Chat(context.Background(), &chat.Request{Messages: []chat.Message{userMsg("hi")}})
	if err != nil {
		t.Fatal(err)
	}
	s.Next()
	done := make(chan error, 1)
	go func() {
		_, err := s.Next()
		done <- err
	}()
	time.Sleep(20 * time.Millisecond) // let Next block on the body
	s.Close()
	if err := <-done; err == nil || err == io.EOF {
		t.Fatalf("Next after Close: %v", err)
	}
}

func TestCancelBeforeFirstByte(t *testing.T) {
	h := newHarness(t, geminifake.Options{}, Options{})
	h.fake.Enqueue(geminifake.Reply{Delay: 5 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := h.p.Chat(ctx, &chat.Request{Messages: []chat.Message{userMsg("hi")}})
	pe, ok := providers.AsError(err)
	if !ok || pe.Kind != providers.KindTimeout {
		t.Fatalf("err %v, want KindTimeout", err)
	}
}

func TestCheckModel(t *testing.T) {
	h := newHarness(t, geminifake.Options{}, Options{})
	if err := h.p.CheckModel(context.Background()); err != nil {
		t.Fatal(err)
	}
	h2 := newHarness(t, geminifake.Options{}, Options{Model: "gemini-2.0-retired"})
	err := h2.p.CheckModel(context.Background())
	if pe, ok := providers.AsError(err); !ok || pe.Kind != providers.KindUnavailable {
		t.Fatalf("err %v", err)
	}
	assertNoKey(t, err)
}

func TestNewWithoutKey(t *testing.T) {
	_, err := New(context.Background(), Options{Model: "gemini-2.5-pro"})
	if pe, ok := providers.AsError(err); !ok || pe.Kind != providers.KindUnavailable {
		t.Fatalf("err %v", err)
	}
}

// Connection errors carry no key, whatever the transport says.
func TestUnreachableNoKey(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	tr := retry.NewTransport(time.Second)
	defer tr.CloseIdleConnections()
	p, err := New(context.Background(), Options{BaseURL: url, Model: "gemini-2.5-pro", APIKey: testKey,
		HTTPClient: retry.NewClient(retry.Options{Max: -1, Transport: tr})})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Chat(context.Background(), &chat.Request{Messages: []chat.Message{userMsg("hi")}})
	if pe, ok := providers.AsError(err); !ok || pe.Kind != providers.KindUnavailable {
		t.Fatalf("err %v", err)
	}
	assertNoKey(t, err)
}

// The recorded-looking sample decodes through the SDK into one call whose
// id carries the sample's signature.
func TestRecordedSample(t *testing.T) {
	body, err := os.ReadFile("geminifake/testdata/stream_function_call.sse")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write(body)
	}))
	defer srv.Close()
	tr := retry.NewTransport(time.Second)
	defer tr.CloseIdleConnections()
	p, err := New(context.Background(), Options{BaseURL: srv.URL, Model: "gemini-2.5-pro", APIKey: testKey,
		HTTPClient: retry.NewClient(retry.Options{Max: -1, Transport: tr})})
	if err != nil {
		t.Fatal(err)
	}
	s, err := p.Chat(context.Background(), &chat.Request{Tools: []chat.Tool{readFileTool}, Messages: []chat.Message{userMsg("read")}})
	if err != nil {
		t.Fatal(err)
	}
	chunks, err := collect(t, s)
	if err != nil {
		t.Fatal(err)
	}
	a := assemble(chunks)
	if a.content != "I'll read the file first." || len(a.calls) != 1 || a.finish != chat.FinishToolCalls {
		t.Fatalf("answer %+v", a)
	}
	if a.usage.PromptTokens != 1843 || a.usage.CompletionTokens != 29+244 || a.usage.ReasoningTokens != 244 {
		t.Fatalf("usage %+v", a.usage)
	}
	_, ref, ok := decodeCallID(a.calls[0].ID)
	if !ok || len(ref.sig) != 540 || ref.lead {
		t.Fatalf("id %q: signature not carried (%d bytes)", a.calls[0].ID, len(ref.sig))
	}
}

// TestRetryInfoHonoured: Gemini's 429 carries its wait in the body's
// RetryInfo, not a header; the retry client waits that long.
func TestRetryInfoHonoured(t *testing.T) {
	fake := geminifake.New(geminifake.Options{})
	defer fake.Close()
	fake.Enqueue(geminifake.Reply{Status: 429, RetryDelay: "0.3s"}, geminifake.TextReply("after the wait"))
	p, err := New(context.Background(), Options{Name: "gemini", BaseURL: fake.URL, Model: "gemini-2.5-pro", APIKey: "fake-key",
		HTTPClient: retry.NewClient(retry.Options{Max: 2, WaitMin: time.Millisecond, WaitMax: 2 * time.Millisecond, RetryAfter: bodyRetryDelay})})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	st, err := p.Chat(context.Background(), &chat.Request{Messages: []chat.Message{{Role: chat.RoleUser, Content: []chat.Part{{Type: chat.PartText, Text: "hi"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("retried after %v, before the 0.3s Gemini asked for", d)
	}
}

// A streamed call carries its thought signature beside its id too, in the
// base64 Gemini's wire uses, for a dialect that keeps it with the call.
func TestCallDeltaCarriesSignature(t *testing.T) {
	h := newHarness(t, geminifake.Options{}, Options{})
	h.fake.Enqueue(geminifake.CallsReply(geminifake.Call{Name: "read_file", Args: map[string]any{"path": "a"}}))
	a, err := sendChat(t, h, &chat.Request{Tools: []chat.Tool{readFileTool}, Messages: []chat.Message{userMsg("go")}})
	if err != nil {
		t.Fatal(err)
	}
	c := a.calls[0]
	sig, err := base64.StdEncoding.DecodeString(c.Signature)
	if err != nil || !h.fake.Issued(sig) {
		t.Fatalf("delta signature %q is not the issued one (%v)", c.Signature, err)
	}
	if !strings.Contains(c.ID, "__thought__") {
		t.Fatalf("id %q no longer carries the signature", c.ID)
	}
}

// A call's Signature wins over the one its id carries: the client kept it
// with the call, and the id may be another gateway's.
func TestToolCallSignatureWinsOverID(t *testing.T) {
	h := newHarness(t, geminifake.Options{}, Options{})
	h.fake.Enqueue(geminifake.CallsReply(geminifake.Call{Name: "read_file", Args: map[string]any{"path": "a"}}), geminifake.TextReply("done"))
	req := &chat.Request{Tools: []chat.Tool{readFileTool}, Messages: []chat.Message{userMsg("go")}}
	a, err := sendChat(t, h, req)
	if err != nil {
		t.Fatal(err)
	}
	c := a.calls[0]
	stale, _ := encodeCallID("call_KEY", sigRef{sig: []byte("not-the-issued-one")}, 4096)
	req.Messages = append(req.Messages,
		chat.Message{Role: chat.RoleAssistant, ToolCalls: []chat.ToolCall{{ID: stale, Name: "read_file", Arguments: c.Arguments, Signature: c.Signature}}},
		chat.Message{Role: chat.RoleTool, ToolCallID: stale, Content: []chat.Part{{Text: "x"}}})
	if _, err := sendChat(t, h, req); err != nil {
		t.Fatal(err)
	}
	p := h.fake.Requests()[1].Request.Contents[1].Parts[0]
	if p.ThoughtSignature != c.Signature {
		t.Fatalf("part signature %q, want the call's %q", p.ThoughtSignature, c.Signature)
	}
}

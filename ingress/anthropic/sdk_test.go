package anthropic

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	sdk "github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/ingress"
)

// fakeServer answers with nothing but the Dialect: Decode, a scripted
// answer through NewAnswer (Chunk/End streamed, or Assembler and Whole),
// WriteError, the count and the model list. The official Go SDK is the
// client, so these tests hold the wire format to the vendor's own reader.
type fakeServer struct {
	mu   sync.Mutex
	seen []*chat.Request
}

// script is the answer to req: a tool-using turn when tools are offered
// and the conversation does not end with a tool result; else text.
func script(req *chat.Request) []chat.Chunk {
	last := req.Messages[len(req.Messages)-1]
	if len(req.Tools) > 0 && last.Role != chat.RoleTool {
		return []chat.Chunk{
			{Reasoning: "I should list "}, {Reasoning: "the files."}, {ReasoningSignature: "c2ln"},
			{Content: "Let me look."},
			{ToolCalls: []chat.ToolCallDelta{{Index: 0, ID: "toolu_1", Name: "Bash", Arguments: `{"command":`}}},
			{ToolCalls: []chat.ToolCallDelta{{Index: 0, Arguments: `"ls"}`}}},
			{ToolCalls: []chat.ToolCallDelta{{Index: 1, ID: "toolu_2", Name: "Read", Arguments: `{"file_path":"go.mod"}`}}},
			{FinishReason: chat.FinishToolCalls, Usage: &chat.Usage{PromptTokens: 120, CachedTokens: 20, CompletionTokens: 30}},
		}
	}
	return []chat.Chunk{{Content: "Hello "}, {Content: "there <&>."}, {FinishReason: chat.FinishStop, Usage: &chat.Usage{PromptTokens: 50, CompletionTokens: 4}}}
}

func (f *fakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d := Dialect{}
	w.Header().Set(requestIDHeader, "req_test")
	if s := r.Header.Get("X-Test-Error"); s != "" {
		var e ingress.Error
		json.Unmarshal([]byte(s), &e)
		d.WriteError(w, &e)
		return
	}
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "application/json") // as the router sets it
	switch r.Method + " " + r.URL.Path {
	case "GET /v1/models":
		if !d.ListsModels(r) {
			http.Error(w, "no anthropic-version", 400)
			return
		}
		created := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
		w.Write(d.EncodeModels([]ingress.Model{{ID: "auto", DisplayName: "switchyard: decides", Created: created}, {ID: "local", Created: created}}))
	case "POST /v1/messages/count_tokens":
		req, err := d.DecodeCount(r, body)
		if err != nil {
			d.WriteError(w, err.(*ingress.Error))
			return
		}
		w.Write(d.EncodeCount(7 * len(req.Chat.Messages)))
	case "POST /v1/messages":
		req, err := d.Decode(r, body)
		if err != nil {
			d.WriteError(w, err.(*ingress.Error))
			return
		}
		f.mu.Lock()
		f.seen = append(f.seen, req.Chat)
		f.mu.Unlock()
		ans := d.NewAnswer(req, ingress.AnswerInfo{Model: "qwen3-coder:30b", Created: time.Now(), PromptTokens: 99})
		chunks := script(req.Chat)
		if !req.Chat.Stream {
			var asm ingress.Assembler
			for i := range chunks {
				asm.Add(&chunks[i])
			}
			w.Header().Set("Content-Type", "application/json")
			w.Write(ans.Whole(asm.Answer()))
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write(ans.KeepAlive())
		w.Write(stream(ans.(*answer), chunks))
	default:
		http.NotFound(w, r)
	}
}

func newClient(t *testing.T) (sdk.Client, *fakeServer) {
	f := &fakeServer{}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return sdk.NewClient(option.WithBaseURL(srv.URL), option.WithAPIKey("sk-test"), option.WithMaxRetries(0)), f
}

var bashTool = sdk.ToolUnionParamOfTool(sdk.ToolInputSchemaParam{Properties: map[string]any{"command": map[string]any{"type": "string"}}}, "Bash")

func toolParams(msgs ...sdk.MessageParam) sdk.MessageNewParams {
	return sdk.MessageNewParams{Model: "auto", MaxTokens: 1000, Messages: msgs, Tools: []sdk.ToolUnionParam{bashTool},
		System: []sdk.TextBlockParam{{Text: "You are terse."}}}
}

// block is what a content block says, for comparing answers.
type block struct{ Type, Text, Thinking, Signature, ID, Name, Input string }

func blocks(m *sdk.Message) []block {
	var out []block
	for _, c := range m.Content {
		var in bytes.Buffer
		if len(c.Input) > 0 {
			json.Compact(&in, c.Input)
		}
		out = append(out, block{c.Type, c.Text, c.Thinking, c.Signature, c.ID, c.Name, in.String()})
	}
	return out
}

func TestSDKWholeAndStreamAgree(t *testing.T) {
	client, _ := newClient(t)
	ctx := context.Background()
	user := sdk.NewUserMessage(sdk.NewTextBlock("list the files"))
	whole, err := client.Messages.New(ctx, toolParams(user))
	if err != nil {
		t.Fatal(err)
	}
	want := []block{
		{Type: "thinking", Thinking: "I should list the files.", Signature: "c2ln"},
		{Type: "text", Text: "Let me look."},
		{Type: "tool_use", ID: "toolu_1", Name: "Bash", Input: `{"command":"ls"}`},
		{Type: "tool_use", ID: "toolu_2", Name: "Read", Input: `{"file_path":"go.mod"}`},
	}
	got := blocks(whole)
	if len(got) != len(want) {
		t.Fatalf("whole: %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("whole block %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if whole.StopReason != sdk.StopReasonToolUse || whole.Usage.InputTokens != 100 || whole.Usage.CacheReadInputTokens != 20 || whole.Usage.OutputTokens != 30 || whole.Model != "qwen3-coder:30b" || whole.Type != "message" {
		t.Errorf("whole: %s", whole.RawJSON())
	}

	st := client.Messages.NewStreaming(ctx, toolParams(user))
	var acc sdk.Message
	for st.Next() {
		if err := acc.Accumulate(st.Current()); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Err(); err != nil {
		t.Fatal(err)
	}
	sg := blocks(&acc)
	for i := range want {
		if i >= len(sg) || sg[i] != got[i] {
			t.Fatalf("streamed %+v\nwhole    %+v", sg, got)
		}
	}
	if acc.StopReason != whole.StopReason || acc.Usage.InputTokens != whole.Usage.InputTokens || acc.Usage.OutputTokens != whole.Usage.OutputTokens ||
		acc.Usage.CacheReadInputTokens != whole.Usage.CacheReadInputTokens || acc.Model != whole.Model || acc.StopSequence != whole.StopSequence {
		t.Errorf("streamed %s\nwhole    %s", acc.RawJSON(), whole.RawJSON())
	}
}

// TestSDKToolRoundTrip runs three turns: the answer calls tools, the SDK
// builds the next turn from it (Message.ToParam) with the tool results,
// and the server sees each piece decoded where it belongs.
func TestSDKToolRoundTrip(t *testing.T) {
	client, f := newClient(t)
	ctx := context.Background()
	msgs := []sdk.MessageParam{sdk.NewUserMessage(sdk.NewTextBlock("list the files"))}
	for turn := 0; turn < 3; turn++ {
		st := client.Messages.NewStreaming(ctx, toolParams(msgs...))
		var acc sdk.Message
		for st.Next() {
			acc.Accumulate(st.Current())
		}
		if err := st.Err(); err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, acc.ToParam())
		var results []sdk.ContentBlockParamUnion
		for _, c := range acc.Content {
			if c.Type == "tool_use" {
				results = append(results, sdk.NewToolResultBlock(c.ID, "ran "+c.Name, c.Name == "Read"))
			}
		}
		if results == nil {
			results = []sdk.ContentBlockParamUnion{sdk.NewTextBlock("thanks, again")}
		}
		msgs = append(msgs, sdk.NewUserMessage(results...))
	}
	if len(f.seen) != 3 {
		t.Fatalf("%d requests", len(f.seen))
	}
	second := f.seen[1].Messages
	// system, user, assistant (thinking, text, 2 calls), tool, tool
	if len(second) != 5 || second[0].Role != chat.RoleSystem || second[2].Role != chat.RoleAssistant {
		t.Fatalf("turn 2: %+v", second)
	}
	a := second[2]
	if len(a.ToolCalls) != 2 || a.ToolCalls[0].ID != "toolu_1" || a.ToolCalls[0].Arguments != `{"command":"ls"}` ||
		len(a.Reasoning) != 1 || a.Reasoning[0].Signature != "c2ln" || a.Text() != "Let me look." {
		t.Errorf("assistant turn: %+v", a)
	}
	if second[3].Role != chat.RoleTool || second[3].ToolCallID != "toolu_1" || second[3].ToolError || second[4].ToolCallID != "toolu_2" || !second[4].ToolError || second[4].Text() != "ran Read" {
		t.Errorf("tool results: %+v %+v", second[3], second[4])
	}
	third := f.seen[2].Messages
	if last := third[len(third)-1]; last.Role != chat.RoleUser || last.Text() != "thanks, again" || third[len(third)-2].Text() != "Hello there <&>." {
		t.Errorf("turn 3 ends %+v", third[len(third)-2:])
	}
}

func TestSDKCountAndModels(t *testing.T) {
	client, _ := newClient(t)
	ctx := context.Background()
	n, err := client.Messages.CountTokens(ctx, sdk.MessageCountTokensParams{Model: "auto",
		Messages: []sdk.MessageParam{sdk.NewUserMessage(sdk.NewTextBlock("foo"))}})
	if err != nil || n.InputTokens != 7 {
		t.Fatalf("count %+v %v", n, err)
	}
	page, err := client.Models.List(ctx, sdk.ModelListParams{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Data) != 2 || page.Data[0].ID != "auto" || page.Data[0].DisplayName != "switchyard: decides" || page.Data[1].DisplayName != "local" ||
		!page.Data[0].CreatedAt.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) || page.HasMore || page.LastID != "local" {
		t.Errorf("models: %s", page.RawJSON())
	}
}

func TestSDKErrors(t *testing.T) {
	client, _ := newClient(t)
	for _, c := range []struct {
		name   string
		e      ingress.Error
		status int
		typ    string
	}{
		{"overloaded", ingress.Error{Status: 503, Code: ingress.CodeUnavailable, Message: "no provider can take the job now"}, 529, "overloaded_error"},
		{"privacy", ingress.Error{Status: 403, Code: ingress.CodePrivacy, Message: "private repository: cloud refused"}, 403, "permission_error"},
		{"rate", ingress.Error{Status: 429, Code: ingress.CodeRateLimited, Message: "slow down", RetryAfter: time.Second}, 429, "rate_limit_error"},
		{"context", ingress.Error{Status: 400, Code: ingress.CodeContextLength, Message: "too big", Tokens: 300000, Limit: 262144}, 400, "invalid_request_error"},
		{"auth", ingress.Error{Status: 401, Code: ingress.CodeUnauthorized, Message: "token"}, 401, "authentication_error"},
	} {
		t.Run(c.name, func(t *testing.T) {
			hdr, _ := json.Marshal(c.e)
			_, err := client.Messages.New(context.Background(), toolParams(sdk.NewUserMessage(sdk.NewTextBlock("x"))), option.WithHeader("X-Test-Error", string(hdr)))
			var ae *sdk.Error
			if !errors.As(err, &ae) {
				t.Fatalf("got %v", err)
			}
			if ae.StatusCode != c.status || string(ae.Type()) != c.typ || ae.RequestID != "req_test" {
				t.Errorf("got %d %q %q: %v", ae.StatusCode, ae.Type(), ae.RequestID, err)
			}
			if c.e.RetryAfter > 0 && ae.Response.Header.Get("Retry-After") != strconv.Itoa(int(c.e.RetryAfter/time.Second)) {
				t.Errorf("Retry-After %q", ae.Response.Header.Get("Retry-After"))
			}
		})
	}
	// A stream that fails after it began ends in the SDK's error, typed.
	st := client.Messages.NewStreaming(context.Background(), toolParams(sdk.NewUserMessage(sdk.NewTextBlock("x"))),
		option.WithMiddleware(func(r *http.Request, next option.MiddlewareNext) (*http.Response, error) {
			a := testAnswer()
			body := append(a.Chunk(&chat.Chunk{Content: "part"}), a.Fail(&ingress.Error{Status: 503, Code: ingress.CodeUnavailable, Message: "gone"})...)
			return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"text/event-stream"}}, Body: io.NopCloser(bytes.NewReader(body)), Request: r}, nil
		}))
	var acc sdk.Message
	for st.Next() {
		acc.Accumulate(st.Current())
	}
	var ae *sdk.Error
	if err := st.Err(); !errors.As(err, &ae) || ae.Type() != "overloaded_error" || acc.StopReason != "" {
		t.Errorf("cut stream: err %v, stop %q", err, acc.StopReason)
	}
}

func TestSDKDecodeError(t *testing.T) {
	client, _ := newClient(t)
	p := toolParams(sdk.NewUserMessage(sdk.NewTextBlock("x")))
	p.Tools = append(p.Tools, sdk.ToolUnionParam{OfWebSearchTool20250305: &sdk.WebSearchTool20250305Param{}})
	_, err := client.Messages.New(context.Background(), p)
	var ae *sdk.Error
	if !errors.As(err, &ae) || ae.StatusCode != 400 || ae.Type() != "invalid_request_error" {
		t.Fatalf("got %v", err)
	}
}

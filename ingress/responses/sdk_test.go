package responses

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/param"
	"github.com/openai/openai-go/v3/responses"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/ingress"
)

// fakeServer answers with nothing but the Dialect: Decode, a scripted
// answer through NewAnswer (Chunk/End streamed, or Assembler and Whole)
// and WriteError. OpenAI's own Go SDK is the client, so these tests hold
// the wire format to the vendor's reader.
type fakeServer struct {
	d    *Dialect
	mu   sync.Mutex
	seen []*chat.Request
	// cut makes a stream fail after its first chunks.
	cut bool
}

// script is the answer to req: thinking, text and two calls when tools
// are offered and the conversation does not end with a tool result; else
// text.
func script(req *chat.Request) []chat.Chunk {
	last := req.Messages[len(req.Messages)-1]
	if len(req.Tools) > 0 && last.Role != chat.RoleTool {
		return []chat.Chunk{
			{Reasoning: "I should list "}, {Reasoning: "the files."},
			{Content: "Let me look."},
			{ToolCalls: []chat.ToolCallDelta{{Index: 0, ID: "call_1", Name: "exec_command", Arguments: `{"cmd":`}}},
			{ToolCalls: []chat.ToolCallDelta{{Index: 0, Arguments: `"ls"}`}}},
			{ToolCalls: []chat.ToolCallDelta{{Index: 1, ID: "call_2", Name: "close_agent", Arguments: `{"id":"a"}`}}},
			{FinishReason: chat.FinishToolCalls, Usage: &chat.Usage{PromptTokens: 120, CachedTokens: 20, CompletionTokens: 30}},
		}
	}
	return []chat.Chunk{{Content: "Hello "}, {Content: "there <&>."}, {FinishReason: chat.FinishStop, Usage: &chat.Usage{PromptTokens: 50, CompletionTokens: 4}}}
}

func (f *fakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s := r.Header.Get("X-Test-Error"); s != "" {
		var e ingress.Error
		json.Unmarshal([]byte(s), &e)
		f.d.WriteError(w, &e)
		return
	}
	if r.Method+" "+r.URL.Path != "POST /v1/responses" {
		http.NotFound(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	req, err := f.d.Decode(r, body)
	if err != nil {
		f.d.WriteError(w, err.(*ingress.Error))
		return
	}
	f.mu.Lock()
	f.seen = append(f.seen, req.Chat)
	f.mu.Unlock()
	ans := f.d.NewAnswer(req, ingress.AnswerInfo{Model: "qwen3-coder:30b", Created: time.Now(), PromptTokens: 99})
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
	w.Write(ans.KeepAlive())
	for i := range chunks {
		c := chunks[i]
		if f.cut && i == 3 {
			w.Write(ans.Fail(ingress.Errorf(http.StatusBadGateway, ingress.CodeUpstreamError, "the upstream closed the stream")))
			return
		}
		fin, u := c.FinishReason, c.Usage
		c.FinishReason, c.Usage = "", nil
		w.Write(ans.Chunk(&c))
		if fin != "" {
			w.Write(ans.End(fin, u))
		}
	}
}

func newClient(t *testing.T) (openai.Client, *fakeServer) {
	f := &fakeServer{d: New()}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return openai.NewClient(option.WithBaseURL(srv.URL+"/v1"), option.WithAPIKey("sk-test"), option.WithMaxRetries(0)), f
}

var tools = []responses.ToolUnionParam{
	responses.ToolParamOfFunction("exec_command", map[string]any{"type": "object", "properties": map[string]any{"cmd": map[string]any{"type": "string"}}}, false),
	{OfNamespace: &responses.NamespaceToolParam{Name: "multi_agent_v1", Description: "agents",
		Tools: []responses.NamespaceToolToolUnionParam{{OfFunction: &responses.NamespaceToolToolFunctionParam{Name: "close_agent"}}}}},
	{OfWebSearch: &responses.WebSearchToolParam{Type: responses.WebSearchToolTypeWebSearch}},
}

func params(store bool, input ...responses.ResponseInputItemUnionParam) responses.ResponseNewParams {
	return responses.ResponseNewParams{Model: "auto", Input: responses.ResponseNewParamsInputUnion{OfInputItemList: input},
		Tools: tools, Store: openai.Bool(store), Instructions: openai.String("You are terse.")}
}

// item is what an output item says, for comparing answers.
type seenItem struct{ Type, Text, CallID, Name, Namespace, Args string }

func items(r *responses.Response) []seenItem {
	var out []seenItem
	for _, it := range r.Output {
		var b strings.Builder
		for _, c := range it.Content {
			b.WriteString(c.Text)
		}
		for _, s := range it.Summary {
			b.WriteString(s.Text)
		}
		out = append(out, seenItem{it.Type, b.String(), it.CallID, it.Name, it.Namespace, it.Arguments.OfString})
	}
	return out
}

func user(text string) responses.ResponseInputItemUnionParam {
	return responses.ResponseInputItemParamOfMessage(text, responses.EasyInputMessageRoleUser)
}

func TestSDKWholeAndStreamAgree(t *testing.T) {
	client, _ := newClient(t)
	ctx := context.Background()
	whole, err := client.Responses.New(ctx, params(false, user("list the files")))
	if err != nil {
		t.Fatal(err)
	}
	want := []seenItem{
		{Type: "reasoning", Text: "I should list the files."},
		{Type: "message", Text: "Let me look."},
		{Type: "function_call", CallID: "call_1", Name: "exec_command", Args: `{"cmd":"ls"}`},
		{Type: "function_call", CallID: "call_2", Name: "close_agent", Namespace: "multi_agent_v1", Args: `{"id":"a"}`},
	}
	got := items(whole)
	if len(got) != len(want) {
		t.Fatalf("whole: %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("whole item %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if whole.Status != responses.ResponseStatusCompleted || whole.Usage.InputTokens != 120 || whole.Usage.InputTokensDetails.CachedTokens != 20 ||
		whole.Usage.OutputTokens != 30 || whole.Usage.TotalTokens != 150 || whole.Model != "qwen3-coder:30b" || !strings.HasPrefix(whole.ID, "resp_") {
		t.Errorf("whole: %s", whole.RawJSON())
	}

	st := client.Responses.NewStreaming(ctx, params(false, user("list the files")))
	var done *responses.Response
	var doneItems []seenItem
	var text, args strings.Builder
	seq := int64(-1)
	for st.Next() {
		ev := st.Current()
		if ev.SequenceNumber != seq+1 {
			t.Errorf("%s has sequence_number %d after %d", ev.Type, ev.SequenceNumber, seq)
		}
		seq = ev.SequenceNumber
		switch ev.Type {
		case "response.output_text.delta":
			text.WriteString(ev.Delta)
		case "response.function_call_arguments.delta":
			args.WriteString(ev.Delta)
		case "response.output_item.done":
			r := responses.Response{Output: []responses.ResponseOutputItemUnion{ev.Item}}
			doneItems = append(doneItems, items(&r)...)
		case "response.completed":
			r := ev.Response
			done = &r
		}
	}
	if err := st.Err(); err != nil {
		t.Fatal(err)
	}
	if done == nil {
		t.Fatal("no response.completed")
	}
	sg := items(done)
	for i := range want {
		if i >= len(sg) || sg[i] != want[i] || i >= len(doneItems) || doneItems[i] != want[i] {
			t.Fatalf("streamed %+v\nitems    %+v\nwant     %+v", sg, doneItems, want)
		}
	}
	if text.String() != "Let me look." || args.String() != `{"cmd":"ls"}{"id":"a"}` {
		t.Errorf("deltas: text %q args %q", text.String(), args.String())
	}
	if done.Usage.InputTokens != whole.Usage.InputTokens || done.Usage.OutputTokens != whole.Usage.OutputTokens || done.Status != whole.Status {
		t.Errorf("streamed %s\nwhole    %s", done.RawJSON(), whole.RawJSON())
	}
}

// TestSDKToolRoundTrip runs the turn Codex runs: store false, the output
// items sent back as they came, with the calls' outputs; the server sees
// each piece decoded where it belongs.
func TestSDKToolRoundTrip(t *testing.T) {
	client, f := newClient(t)
	ctx := context.Background()
	input := []responses.ResponseInputItemUnionParam{user("list the files")}
	r, err := client.Responses.New(ctx, params(false, input...))
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range r.Output {
		input = append(input, param.Override[responses.ResponseInputItemUnionParam](json.RawMessage(it.RawJSON())))
	}
	for _, id := range []string{"call_1", "call_2"} {
		out := responses.ResponseInputItemParamOfFunctionCallOutput("result of " + id)
		out.OfFunctionCallOutput.CallID = openai.String(id)
		input = append(input, out)
	}
	r, err = client.Responses.New(ctx, params(false, input...))
	if err != nil {
		t.Fatal(err)
	}
	if r.OutputText() != "Hello there <&>." {
		t.Errorf("final answer %q", r.OutputText())
	}
	last := f.seen[len(f.seen)-1]
	var got []string
	for _, m := range last.Messages {
		s := string(m.Role) + ":" + m.Text()
		for _, rs := range m.Reasoning {
			s += " thought " + rs.Text
		}
		for _, c := range m.ToolCalls {
			s += " call " + c.ID + " " + c.Name + " " + c.Arguments
		}
		if m.ToolCallID != "" {
			s += " for " + m.ToolCallID
		}
		got = append(got, s)
	}
	want := []string{"system:You are terse.", "user:list the files", "assistant: thought I should list the files.", "assistant:Let me look.",
		`assistant: call call_1 exec_command {"cmd":"ls"}`, `assistant: call call_2 close_agent {"id":"a"}`,
		"tool:result of call_1 for call_1", "tool:result of call_2 for call_2"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("the second turn decoded as\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !slicesEqual(last.DroppedTools, []string{"web_search"}) {
		t.Errorf("dropped %v", last.DroppedTools)
	}
}

// TestSDKPreviousResponse continues a stored response by its id: the
// server sees the whole conversation, the instructions of the new request
// only; an id it does not hold is a 400 naming the fix.
func TestSDKPreviousResponse(t *testing.T) {
	client, f := newClient(t)
	ctx := context.Background()
	r, err := client.Responses.New(ctx, params(true, user("list the files")))
	if err != nil {
		t.Fatal(err)
	}
	out := responses.ResponseInputItemParamOfFunctionCallOutput("go.mod main.go")
	out.OfFunctionCallOutput.CallID = openai.String("call_1")
	p := params(true, out)
	p.PreviousResponseID = openai.String(r.ID)
	p.Instructions = openai.String("Now be verbose.")
	st := client.Responses.NewStreaming(ctx, p)
	for st.Next() {
	}
	if err := st.Err(); err != nil {
		t.Fatal(err)
	}
	last := f.seen[len(f.seen)-1]
	var roles []string
	for _, m := range last.Messages {
		roles = append(roles, string(m.Role))
	}
	if strings.Join(roles, " ") != "system user assistant tool" || last.Messages[0].Text() != "Now be verbose." ||
		len(last.Messages[2].ToolCalls) != 2 || last.Messages[2].Text() != "Let me look." || last.Messages[2].Reasoning[0].Text != "I should list the files." {
		t.Errorf("continued conversation: %+v", last.Messages)
	}

	p.PreviousResponseID = openai.String("resp_unknown")
	_, err = client.Responses.New(ctx, p)
	var ae *openai.Error
	if !errors.As(err, &ae) || ae.StatusCode != 400 || ae.Code != codePreviousNotFound || ae.Param != "previous_response_id" || !strings.Contains(ae.Message, "send the whole conversation") {
		t.Errorf("unknown previous_response_id: %v", err)
	}
}

func TestSDKErrors(t *testing.T) {
	client, _ := newClient(t)
	for _, c := range []struct {
		e      ingress.Error
		status int
		typ    string
		says   string
	}{
		{ingress.Error{Status: 400, Code: ingress.CodeContextLength, Message: "no provider fits", Tokens: 150000, Output: 8192, Limit: 131072}, 400, "invalid_request_error",
			"Your input exceeds the context window of this model (150000 tokens and 8192 for the output > 131072). no provider fits"},
		{ingress.Error{Status: 403, Code: ingress.CodePrivacy, Message: "private"}, 403, "permission_error", "private"},
		{ingress.Error{Status: 429, Code: ingress.CodeRateLimited, Message: "slow down"}, 429, "rate_limit_error", "slow down"},
		{ingress.Error{Status: 503, Code: ingress.CodeUnavailable, Message: "busy"}, 503, "api_error", "busy"},
	} {
		raw, _ := json.Marshal(c.e)
		_, err := client.Responses.New(context.Background(), params(false, user("x")), option.WithHeader("X-Test-Error", string(raw)))
		var ae *openai.Error
		if !errors.As(err, &ae) || ae.StatusCode != c.status || ae.Code != c.e.Code || ae.Type != c.typ || ae.Message != c.says {
			t.Errorf("%s: %v", c.e.Code, err)
		}
	}
}

// TestSDKCutStream: a stream cut after it began ends with response.failed
// carrying a code Codex retries on, and never response.completed.
func TestSDKCutStream(t *testing.T) {
	client, f := newClient(t)
	f.cut = true
	st := client.Responses.NewStreaming(context.Background(), params(false, user("list the files")))
	var types []string
	var failed responses.Response
	for st.Next() {
		ev := st.Current()
		types = append(types, ev.Type)
		if ev.Type == "response.failed" {
			failed = ev.Response
		}
	}
	if err := st.Err(); err != nil {
		t.Fatal(err)
	}
	if types[len(types)-1] != "response.failed" || strings.Contains(strings.Join(types, " "), "response.completed") {
		t.Fatalf("events %v", types)
	}
	if failed.Status != responses.ResponseStatusFailed || failed.Error.Code != "server_error" || !strings.Contains(failed.Error.Message, "upstream_error") {
		t.Errorf("response.failed: %s", failed.RawJSON())
	}
}

func slicesEqual(a, b []string) bool { return strings.Join(a, "\x00") == strings.Join(b, "\x00") }

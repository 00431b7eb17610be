package anthropic

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/ingress"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := "testdata/" + name
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n got: %s\nwant: %s", path, got, want)
	}
}

func testAnswer() *answer {
	return &answer{id: "msg_test", model: "qwen3-coder:30b", promptTokens: 420}
}

// A streamed answer with every kind of block: thinking with its signature,
// text, and two tool calls whose arguments arrive in fragments.
var fullStream = []chat.Chunk{
	{Reasoning: "The user wants "},
	{Reasoning: "a listing."},
	{ReasoningSignature: "sig=="},
	{Content: "Listing <files> & "},
	{Content: "reading \"go.mod\"\n"},
	{ToolCalls: []chat.ToolCallDelta{{Index: 0, ID: "toolu_a", Name: "Bash", Arguments: `{"command":`}}},
	{ToolCalls: []chat.ToolCallDelta{{Index: 0, Arguments: `"ls -la"}`}}},
	{ToolCalls: []chat.ToolCallDelta{{Index: 1, ID: "toolu_b", Name: "Read", Arguments: ``}}},
	{ToolCalls: []chat.ToolCallDelta{{Index: 1, Arguments: `{"file_path":"/src/go.mod"}`}}},
	{FinishReason: chat.FinishToolCalls, Usage: &chat.Usage{PromptTokens: 500, CachedTokens: 300, CompletionTokens: 42}},
}

func stream(a *answer, chunks []chat.Chunk) []byte {
	var out []byte
	var usage *chat.Usage
	var finish chat.FinishReason
	for i := range chunks {
		out = append(out, a.Chunk(&chunks[i])...)
		if chunks[i].Usage != nil {
			usage = chunks[i].Usage
		}
		if chunks[i].FinishReason != "" {
			finish = chunks[i].FinishReason
		}
	}
	return append(out, a.End(finish, usage)...)
}

func TestStreamGolden(t *testing.T) {
	out := stream(testAnswer(), fullStream)
	golden(t, "stream-full.sse", out)
	if evs := checkEvents(t, out); evs[len(evs)-1].name != "message_stop" {
		t.Error("no message_stop at the end")
	}
}

func TestWholeGolden(t *testing.T) {
	var asm ingress.Assembler
	for i := range fullStream {
		asm.Add(&fullStream[i])
	}
	got := testAnswer().Whole(asm.Answer())
	golden(t, "whole-full.json", got)
	if !json.Valid(got) {
		t.Fatal("not JSON")
	}
}

func TestWholeEdgeCases(t *testing.T) {
	a := testAnswer()
	got := string(a.Whole(&ingress.Assembled{Finish: chat.FinishStop}))
	if !strings.Contains(got, `"content":[]`) || !strings.Contains(got, `"usage":{"input_tokens":420,"output_tokens":0}`) || !strings.Contains(got, `"stop_reason":"end_turn"`) {
		t.Errorf("empty answer: %s", got)
	}
	got = string(a.Whole(&ingress.Assembled{Finish: chat.FinishToolCalls, ToolCalls: []chat.ToolCall{{ID: "t1", Name: "Bash", Arguments: `{"command": "ls"`}, {Name: "Read"}}}))
	if !json.Valid([]byte(got)) || !strings.Contains(got, `"input":{}`) || !strings.Contains(got, `they were: {\"command\": \"ls\"`) || !strings.Contains(got, `"id":"toolu_`) {
		t.Errorf("invalid arguments: %s", got)
	}
	got = string(a.Whole(&ingress.Assembled{Finish: chat.FinishLength, Content: "x"}))
	if !strings.Contains(got, `"stop_reason":"max_tokens"`) {
		t.Errorf("length: %s", got)
	}
}

func TestKeepAliveBeforeFirstChunk(t *testing.T) {
	a := testAnswer()
	out := append(a.KeepAlive(), a.KeepAlive()...)
	out = append(out, stream(a, []chat.Chunk{{Content: "hi"}})...)
	evs := checkEvents(t, out)
	names := []string{}
	for _, e := range evs {
		names = append(names, e.name)
	}
	want := "message_start ping ping content_block_start content_block_delta content_block_stop message_delta message_stop"
	if strings.Join(names, " ") != want {
		t.Errorf("events %v; want %s", names, want)
	}
	if !bytes.Contains(out, []byte("event: ping\ndata: {\"type\": \"ping\"}\n\n")) {
		t.Errorf("ping not as Anthropic sends it: %s", out)
	}
}

func TestFailAfterPartialOutput(t *testing.T) {
	a := testAnswer()
	out := a.Chunk(&chat.Chunk{Content: "partial"})
	out = append(out, a.Chunk(&chat.Chunk{ToolCalls: []chat.ToolCallDelta{{Index: 0, ID: "t", Name: "Write", Arguments: `{"content":"hal`}}})...)
	out = append(out, a.Fail(&ingress.Error{Status: 502, Code: ingress.CodeUpstreamError, Message: "the answer was cut off: upstream closed"})...)
	golden(t, "stream-fail.sse", out)
	evs := checkEvents(t, out)
	last := evs[len(evs)-1]
	if last.name != "error" || !strings.Contains(last.data, `"type":"api_error"`) {
		t.Errorf("last event %s %s", last.name, last.data)
	}
	for _, e := range evs {
		if e.name == "message_stop" || e.name == "message_delta" || e.data == `{"type":"content_block_stop","index":1}` {
			t.Errorf("a cut stream carries %s", e.name)
		}
	}
}

func TestInterleavedToolCallsAreHeld(t *testing.T) {
	a := testAnswer()
	out := stream(a, []chat.Chunk{
		{ToolCalls: []chat.ToolCallDelta{{Index: 0, ID: "a", Name: "f", Arguments: `{"x":`}, {Index: 1, ID: "b", Name: "g", Arguments: `{"y":`}}},
		{ToolCalls: []chat.ToolCallDelta{{Index: 1, Arguments: `2}`}, {Index: 0, Arguments: `1}`}}},
	})
	checkEvents(t, out)
	s := string(out)
	if !strings.Contains(s, `"partial_json":"{\"y\":2}"`) || !strings.Contains(s, `"partial_json":"1}"`) {
		t.Errorf("a call's arguments were lost: %s", s)
	}
}

func TestStreamUsage(t *testing.T) {
	a := testAnswer()
	out := string(stream(a, []chat.Chunk{{Content: "x"}}))
	if !strings.Contains(out, `"usage":{"input_tokens":420,"output_tokens":1}`) || !strings.Contains(out, `"usage":{"output_tokens":0}`) {
		t.Errorf("usage without the upstream's: %s", out)
	}
}

func TestErrors(t *testing.T) {
	for _, c := range []struct {
		name   string
		e      ingress.Error
		status int
		typ    string
		msg    string
	}{
		{"invalid", ingress.Error{Status: 400, Code: ingress.CodeInvalidRequest, Message: "m"}, 400, "invalid_request_error", "m"},
		{"auth", ingress.Error{Status: 401, Code: ingress.CodeUnauthorized, Message: "m"}, 401, "authentication_error", "m"},
		{"privacy", ingress.Error{Status: 403, Code: ingress.CodePrivacy, Message: "m"}, 403, "permission_error", "m"},
		{"not-found", ingress.Error{Status: 404, Code: ingress.CodeNotFound, Message: "m"}, 404, "not_found_error", "m"},
		{"method", ingress.Error{Status: 405, Code: ingress.CodeMethod, Message: "m"}, 405, "invalid_request_error", "m"},
		{"too-large", ingress.Error{Status: 413, Code: ingress.CodeTooLarge, Message: "m"}, 413, "request_too_large", "m"},
		{"rate", ingress.Error{Status: 429, Code: ingress.CodeRateLimited, Message: "m", RetryAfter: 1500 * time.Millisecond}, 429, "rate_limit_error", "m"},
		{"upstream", ingress.Error{Status: 502, Code: ingress.CodeUpstreamError, Message: "m"}, 502, "api_error", "m"},
		{"timeout", ingress.Error{Status: 504, Code: ingress.CodeTimeout, Message: "m"}, 504, "api_error", "m"},
		{"unavailable", ingress.Error{Status: 503, Code: ingress.CodeUnavailable, Message: "m"}, 529, "overloaded_error", "m"},
		{"context", ingress.Error{Status: 400, Code: ingress.CodeContextLength, Message: "the prompt does not fit.", Tokens: 214315, Output: 32000, Limit: 200000},
			400, "invalid_request_error", "prompt is too long: 214315 tokens > 200000 maximum. the prompt does not fit."},
		{"context-output", ingress.Error{Status: 400, Code: ingress.CodeContextLength, Message: "m", Tokens: 100000, Output: 32000, Limit: 131072},
			400, "invalid_request_error", "input length and `max_tokens` exceed context limit: 100000 + 32000 > 131072, decrease input length or `max_tokens` and try again. m"},
		{"context-no-room", ingress.Error{Status: 400, Code: ingress.CodeContextLength, Message: "m", Tokens: 130000, Output: 32000, Limit: 131072},
			400, "invalid_request_error", "prompt is too long: 162000 tokens > 131072 maximum. m"},
		{"context-unknown", ingress.Error{Status: 400, Code: ingress.CodeContextLength, Message: "m"}, 400, "invalid_request_error", "prompt is too long: m"},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			w.Header().Set(requestIDHeader, "req_1")
			Dialect{}.WriteError(w, &c.e)
			var body struct {
				Type  string
				Error struct{ Type, Message string }
				ID    string `json:"request_id"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			if w.Code != c.status || body.Type != "error" || body.Error.Type != c.typ || body.Error.Message != c.msg || body.ID != "req_1" || w.Header().Get("request-id") != "req_1" {
				t.Errorf("got %d %s", w.Code, w.Body)
			}
			if c.e.RetryAfter > 0 && w.Header().Get("Retry-After") != "2" {
				t.Errorf("Retry-After %q", w.Header().Get("Retry-After"))
			}
		})
	}
}

func TestEncodeModels(t *testing.T) {
	created := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	got := string(Dialect{}.EncodeModels([]ingress.Model{
		{ID: "auto", DisplayName: "switchyard: decides", OwnedBy: "switchyard", Created: created, ContextWindow: 131072},
		{ID: "cloud", Created: created},
	}))
	want := `{"data":[{"type":"model","id":"auto","display_name":"switchyard: decides","created_at":"2026-12-01T00:00:00Z","max_input_tokens":131072},` +
		`{"type":"model","id":"cloud","display_name":"cloud","created_at":"2026-12-01T00:00:00Z"}],"has_more":false,"first_id":"auto","last_id":"cloud"}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got := string(Dialect{}.EncodeModels(nil)); got != `{"data":[],"has_more":false,"first_id":null,"last_id":null}` {
		t.Errorf("empty: %s", got)
	}
	r := httptest.NewRequest("GET", "/v1/models", nil)
	if (Dialect{}).ListsModels(r) {
		t.Error("claims a request without anthropic-version")
	}
	r.Header.Set("anthropic-version", "2023-06-01")
	if !(Dialect{}).ListsModels(r) {
		t.Error("does not claim an Anthropic request")
	}
}

func TestAppendString(t *testing.T) {
	for _, s := range []string{"", "plain", "q\"b\\s", "\n\r\t\x00\x1f", "<&>", "é€😀", "\u2028\u2029", "bad\xffutf8\xc3"} {
		got := appendString(nil, s)
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("%q -> %s: %v", s, got, err)
		}
		want, _ := json.Marshal(s)
		var wantBack string
		json.Unmarshal(want, &wantBack)
		if back != wantBack {
			t.Errorf("%q round-trips to %q, encoding/json to %q", s, back, wantBack)
		}
	}
}

// sseEvent is one parsed server-sent event.
type sseEvent struct{ name, data string }

// checkEvents parses out as server-sent events and checks them against
// Anthropic's order rules: message_start first, each block started (index
// in order) before its deltas, deltas of its kind, stopped before the next
// starts, message_delta after every block stopped, message_stop last, an
// error event last when there is one; every data line JSON whose type is
// the event's name.
func checkEvents(t testing.TB, out []byte) []sseEvent {
	t.Helper()
	var evs []sseEvent
	for _, frame := range strings.Split(string(out), "\n\n") {
		if frame == "" {
			continue
		}
		name, rest, ok := strings.Cut(frame, "\n")
		data, ok2 := strings.CutPrefix(rest, "data: ")
		name, ok3 := strings.CutPrefix(name, "event: ")
		if !ok || !ok2 || !ok3 || strings.Contains(data, "\n") {
			t.Fatalf("not an SSE frame: %q", frame)
		}
		evs = append(evs, sseEvent{name, data})
	}
	if !strings.HasSuffix(string(out), "\n\n") && len(out) > 0 {
		t.Fatalf("output does not end an event: %q", out)
	}
	open, next := "", 0
	delta, stopped := false, false
	for i, e := range evs {
		var v struct {
			Type         string
			Index        *int
			ContentBlock struct{ Type string } `json:"content_block"`
			Delta        struct{ Type string }
		}
		if err := json.Unmarshal([]byte(e.data), &v); err != nil {
			t.Fatalf("event %d %s: %v: %s", i, e.name, err, e.data)
		}
		if v.Type != e.name {
			t.Fatalf("event %d named %s has type %s", i, e.name, v.Type)
		}
		if stopped {
			t.Fatalf("%s after message_stop", e.name)
		}
		if e.name != "error" && (i == 0) != (e.name == "message_start") {
			t.Fatalf("event %d is %s: message_start must come first and once", i, e.name)
		}
		switch e.name {
		case "content_block_start":
			if open != "" || delta || v.Index == nil || *v.Index != next {
				t.Fatalf("event %d: block %v starts while %q is open (next index %d)", i, v.Index, open, next)
			}
			open, next = v.ContentBlock.Type, next+1
		case "content_block_delta":
			want := map[string]string{"text": "text_delta", "tool_use": "input_json_delta"}[open]
			if open == "thinking" && (v.Delta.Type == "thinking_delta" || v.Delta.Type == "signature_delta") {
				want = v.Delta.Type
			}
			if open == "" || v.Index == nil || *v.Index != next-1 || v.Delta.Type != want {
				t.Fatalf("event %d: %s delta for block %v while %q (index %d) is open", i, v.Delta.Type, v.Index, open, next-1)
			}
		case "content_block_stop":
			if open == "" || v.Index == nil || *v.Index != next-1 {
				t.Fatalf("event %d: stop of block %v while %q is open", i, v.Index, open)
			}
			open = ""
		case "message_delta":
			if open != "" || delta {
				t.Fatalf("event %d: message_delta while %q is open", i, open)
			}
			delta = true
		case "message_stop":
			if !delta {
				t.Fatalf("message_stop without message_delta")
			}
			stopped = true
		case "error":
			if i != len(evs)-1 {
				t.Fatalf("error event is not the last")
			}
		case "ping", "message_start":
		default:
			t.Fatalf("unknown event %s", e.name)
		}
	}
	return evs
}

func TestRoutes(t *testing.T) {
	d := Dialect{}
	if d.Name() != "anthropic" || d.Title() != "Anthropic Messages" || d.Routes()[0] != "POST /v1/messages" || d.CountRoutes()[0] != "POST /v1/messages/count_tokens" {
		t.Error(d.Name(), d.Title(), d.Routes(), d.CountRoutes())
	}
	mux := http.NewServeMux()
	mux.HandleFunc(d.Routes()[0], func(http.ResponseWriter, *http.Request) {})
	if _, p := mux.Handler(httptest.NewRequest("POST", "/v1/messages?beta=true", nil)); p != d.Routes()[0] {
		t.Errorf("?beta=true matched %q", p)
	}
}

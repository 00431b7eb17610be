package gemini

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/ingress"
)

func newAnswer(sse bool) *answer {
	return Dialect{}.NewAnswer(&ingress.Request{Chat: &chat.Request{}, Options: &options{sse: sse}},
		ingress.AnswerInfo{Model: "m", PromptTokens: 9}).(*answer)
}

// response is the part of a GenerateContentResponse the tests read.
type response struct {
	Candidates []struct {
		Content struct {
			Role  string
			Parts []map[string]any
		}
		FinishReason string
	}
	UsageMetadata map[string]int
	Error         *struct {
		Code   int
		Status string
	}
}

func TestWholeBadArgumentsAndNoUsage(t *testing.T) {
	a := newAnswer(true)
	b := a.Whole(&ingress.Assembled{ToolCalls: []chat.ToolCall{{ID: "c", Name: "f", Arguments: `[1`}}, Finish: chat.FinishToolCalls})
	var r response
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	p := r.Candidates[0].Content.Parts
	if len(p) != 2 || !strings.Contains(p[0]["text"].(string), "not a JSON object") || p[1]["functionCall"].(map[string]any)["args"] == nil {
		t.Errorf("parts %s", b)
	}
	if r.Candidates[0].FinishReason != "STOP" || r.UsageMetadata["promptTokenCount"] != 9 {
		t.Errorf("%s", b)
	}
	for f, want := range map[chat.FinishReason]string{chat.FinishLength: "MAX_TOKENS", chat.FinishContentFilter: "SAFETY", chat.FinishStop: "STOP"} {
		json.Unmarshal(a.Whole(&ingress.Assembled{Content: "x", Finish: f}), &r)
		if r.Candidates[0].FinishReason != want {
			t.Errorf("%s: %s", f, r.Candidates[0].FinishReason)
		}
	}
}

// The stream without alt=sse is one JSON array, valid JSON once End has
// closed it, keep-alives and all; a call goes once, whole.
func TestArrayStream(t *testing.T) {
	a := newAnswer(false)
	if a.StreamContentType() != "application/json" || newAnswer(true).StreamContentType() != "text/event-stream" {
		t.Fatal("content types")
	}
	var out []byte
	out = append(out, a.KeepAlive()...)
	out = append(out, a.Chunk(&chat.Chunk{Reasoning: "think"})...)
	out = append(out, a.KeepAlive()...)
	out = append(out, a.Chunk(&chat.Chunk{ToolCalls: []chat.ToolCallDelta{{Index: 0, ID: "a", Name: "f", Arguments: `{"x":`}}})...)
	out = append(out, a.Chunk(&chat.Chunk{ToolCalls: []chat.ToolCallDelta{{Index: 0, Arguments: `1}`}}})...)
	out = append(out, a.Chunk(&chat.Chunk{ToolCalls: []chat.ToolCallDelta{{Index: 1, ID: "b", Name: "g", Arguments: `{}`}}})...)
	out = append(out, a.End(chat.FinishToolCalls, &chat.Usage{PromptTokens: 5, CompletionTokens: 2})...)
	var rs []response
	if err := json.Unmarshal(out, &rs); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if len(rs) != 2 || rs[0].Candidates[0].Content.Parts[0]["thought"] != true {
		t.Fatalf("%s", out)
	}
	last := rs[1].Candidates[0]
	if len(last.Content.Parts) != 2 || last.FinishReason != "STOP" || rs[1].UsageMetadata["totalTokenCount"] != 7 {
		t.Fatalf("last %s", out)
	}
	if fc := last.Content.Parts[0]["functionCall"].(map[string]any); fc["id"] != "a" || fc["args"].(map[string]any)["x"] != 1.0 {
		t.Errorf("call %v", fc)
	}
}

func TestArrayStreamFail(t *testing.T) {
	a := newAnswer(false)
	out := append(a.Chunk(&chat.Chunk{Content: "part"}), a.Fail(ingress.Errorf(502, ingress.CodeUpstreamError, "cut"))...)
	var rs []response
	if err := json.Unmarshal(out, &rs); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(rs) != 2 || rs[1].Error == nil || rs[1].Error.Code != 502 || rs[1].Error.Status != "INTERNAL" {
		t.Errorf("%s", out)
	}
	for _, r := range rs {
		for _, c := range r.Candidates {
			if c.FinishReason != "" {
				t.Errorf("a failed stream finished: %s", out)
			}
		}
	}
}

// Each SSE event is one data line of JSON; the keep-alive is a blank line,
// which genai's reader skips (an SSE comment would be an error to it).
func TestSSEFraming(t *testing.T) {
	a := newAnswer(true)
	if ka := a.KeepAlive(); string(ka) != "\n\n" {
		t.Fatalf("keep-alive %q", ka)
	}
	out := append(a.Chunk(&chat.Chunk{Content: "hi\n"}), a.End(chat.FinishStop, nil)...)
	events := bytes.Split(bytes.TrimSuffix(out, []byte("\n\n")), []byte("\n\n"))
	if len(events) != 2 {
		t.Fatalf("%q", out)
	}
	for _, e := range events {
		d, ok := bytes.CutPrefix(e, []byte("data: "))
		if !ok || !json.Valid(d) {
			t.Errorf("event %q", e)
		}
	}
	if a.Chunk(&chat.Chunk{ToolCalls: []chat.ToolCallDelta{{Index: 0, ID: "a", Name: "f"}}}) != nil {
		t.Error("a call was sent before it was whole")
	}
}

func TestModelsFor(t *testing.T) {
	d := Dialect{}
	b, e := d.EncodeModelsFor(httptest.NewRequest("GET", "/v1beta/models", nil), testModels)
	var list struct{ Models []map[string]any }
	if e != nil || json.Unmarshal(b, &list) != nil || len(list.Models) != 2 || list.Models[0]["inputTokenLimit"] != 262144.0 || list.Models[1]["inputTokenLimit"] != nil {
		t.Fatalf("%s %v", b, e)
	}
	if b, e := d.EncodeModelsFor(httptest.NewRequest("GET", "/v1beta/models/models/local", nil), testModels); e != nil || !strings.Contains(string(b), `"name":"models/local"`) {
		t.Errorf("%s %v", b, e)
	}
	if _, e := d.EncodeModelsFor(httptest.NewRequest("GET", "/v1beta/models/nope", nil), testModels); e == nil || e.Status != 404 || e.Code != ingress.CodeNotFound {
		t.Errorf("%v", e)
	}
}

func TestWriteErrorEnvelope(t *testing.T) {
	w := httptest.NewRecorder()
	Dialect{}.WriteError(w, &ingress.Error{Status: 429, Code: ingress.CodeRateLimited, Message: "wait", RetryAfter: 1500 * 1e6})
	var r response
	if w.Code != 429 || w.Header().Get("Retry-After") != "2" || json.Unmarshal(w.Body.Bytes(), &r) != nil || r.Error.Status != "RESOURCE_EXHAUSTED" {
		t.Errorf("%d %v %s", w.Code, w.Header(), w.Body)
	}
}

package anthropic

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"reflect"
	"testing"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/ingress"
	"github.com/switchyard/switchyard/ingress/ingresstest"
)

var fuzzSeeds = []string{
	`{"model":"auto","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`,
	`{"max_tokens":10,"system":[{"type":"text","text":"s","cache_control":{"type":"ephemeral"}}],"messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AA=="}}]},{"role":"system","content":"env"}]}`,
	`{"max_tokens":10,"tools":[{"name":"f","input_schema":{"type":"object"}}],"tool_choice":{"type":"tool","name":"f","disable_parallel_tool_use":true},"messages":[{"role":"assistant","content":[{"type":"thinking","thinking":"t","signature":"s"},{"type":"tool_use","id":"a","name":"f","input":{"x":1}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"a","content":[{"type":"text","text":"r"}],"is_error":true},{"type":"text","text":"more"}]}]}`,
	`{"max_tokens":10,"thinking":{"type":"adaptive"},"output_config":{"effort":"low"},"metadata":{"user_id":"u"},"stop_sequences":["x"],"top_k":3,"messages":[{"role":"user","content":[{"type":"document","source":{"type":"text","data":"d"}}]}]}`,
	`{"max_tokens":10,"system":"a","System":"b","messages":[{"role":"user","content":"x"}],"max_tokens":20}`,
	`{"messages":"nope"}`, `[]`, `{`, `null`, `{"max_tokens":1,"messages":[{"role":"user","content":[]}]}`,
}

func addSeeds(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	if raw, err := os.ReadFile("testdata/claude-code-2.1.328.json"); err == nil {
		var c struct{ Body json.RawMessage }
		if json.Unmarshal(raw, &c) == nil {
			f.Add([]byte(c.Body))
		}
	}
}

// FuzzDecode: any body decodes to a request or to a 400 invalid_request
// with a message; never a panic; an accepted request is consistent.
func FuzzDecode(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := Dialect{}.Decode(nil, body)
		if err != nil {
			e, ok := err.(*ingress.Error)
			if !ok || req != nil || e.Status != 400 || e.Code != ingress.CodeInvalidRequest || e.Message == "" {
				t.Fatalf("bad error %#v for %q", err, body)
			}
			return
		}
		c := req.Chat
		if len(c.Messages) == 0 || c.MaxTokens < 1 {
			t.Fatalf("accepted %q as %+v", body, c)
		}
		for _, m := range c.Messages {
			switch {
			case m.Role == chat.RoleTool && (m.ToolCallID == "" || m.Content == nil):
				t.Fatalf("tool message %+v from %q", m, body)
			case m.Content == nil && m.Role != chat.RoleAssistant:
				t.Fatalf("%s message without content from %q", m.Role, body)
			}
			for _, tc := range m.ToolCalls {
				if !json.Valid([]byte(tc.Arguments)) || tc.ID == "" || tc.Name == "" {
					t.Fatalf("tool call %+v from %q", tc, body)
				}
			}
		}
	})
}

// FuzzDecodeCached: the router's cut-up path (SplitBody, DecodeRest,
// DecodeMessage per element) gives exactly what Decode gives whenever it
// accepts a body, and accepts every body Decode accepts that SplitBody
// can cut.
func FuzzDecodeCached(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest("POST", "/v1/messages?beta=true", nil)
		want, err := Dialect{}.Decode(r, body)
		got := ingresstest.Assembled(Dialect{}, body, r)
		switch {
		case got != nil && err != nil:
			t.Fatalf("the cut-up path accepted %q, which Decode refuses: %v", body, err)
		case got != nil && !reflect.DeepEqual(got, want):
			t.Fatalf("for %q\ncut-up %+v\nDecode %+v", body, got.Chat, want.Chat)
		case got == nil && err == nil:
			if _, ok := ingress.SplitBody(body, "messages"); ok {
				t.Fatalf("the cut-up path declined %q, which Decode accepts", body)
			}
		}
	})
}

// FuzzStream: any sequence of chunks gives well-formed SSE that follows
// Anthropic's order rules (checkEvents), with message_stop last exactly
// when End was called, and no arguments of a sequentially streamed call
// lost.
func FuzzStream(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7}, true)
	f.Add([]byte{3, 3, 4, 5, 4, 5, 0, 8}, false)
	f.Add([]byte{8, 2, 1, 6, 6, 7, 0, 0, 2}, true)
	f.Fuzz(func(t *testing.T, ops []byte, end bool) {
		a := testAnswer()
		var out []byte
		for i, op := range ops {
			var c chat.Chunk
			switch op % 9 {
			case 0:
				c.Reasoning = "think\n"
			case 1:
				c.ReasoningSignature = "sig"
			case 2:
				c.Content = "text \"q\""
			case 3:
				c.ToolCalls = []chat.ToolCallDelta{{Index: int(op/9) % 3, ID: "t", Name: "f"}}
			case 4:
				c.ToolCalls = []chat.ToolCallDelta{{Index: int(op/9) % 3, Arguments: `{"a":`}}
			case 5:
				c.ToolCalls = []chat.ToolCallDelta{{Index: int(op/9) % 3, Arguments: `1}`}}
			case 6:
				out = append(out, a.KeepAlive()...)
				continue
			case 7:
				c.FinishReason, c.Usage = chat.FinishStop, &chat.Usage{PromptTokens: i, CompletionTokens: 1}
			case 8:
				c = chat.Chunk{Content: "x", ToolCalls: []chat.ToolCallDelta{{Index: 7, ID: "w", Name: "g", Arguments: "{}"}}}
			}
			out = append(out, a.Chunk(&c)...)
		}
		if end {
			out = append(out, a.End(chat.FinishStop, nil)...)
		} else {
			out = append(out, a.Fail(ingress.Errorf(502, ingress.CodeUpstreamError, "cut"))...)
		}
		evs := checkEvents(t, out)
		last := evs[len(evs)-1].name
		if end != (last == "message_stop") || !end && last != "error" {
			t.Fatalf("stream ends with %s (End called: %v)", last, end)
		}
	})
}

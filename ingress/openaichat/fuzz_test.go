package openaichat

import (
	"encoding/json"
	"testing"

	"github.com/switchyard/switchyard/ingress"
)

// FuzzDecodeChatRequest: any body decodes to a request or a 400 naming the
// problem; never a panic; a decoded request is internally consistent.
func FuzzDecodeChatRequest(f *testing.F) {
	for _, s := range []string{
		`{"messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"auto","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"system","content":"x"},{"role":"user","content":[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AA=="}}]}]}`,
		`{"messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},{"role":"tool","tool_call_id":"c1","content":"r"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],"tool_choice":{"type":"function","function":{"name":"f"}}}`,
		`{"messages":[{"role":"user","content":"x"}],"stop":["a","b"],"response_format":{"type":"json_schema","json_schema":{"name":"n","schema":{"type":"object"}}},"max_completion_tokens":5,"seed":3}`,
		`{"messages":"nope"}`, `[]`, `{`, `null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, e := decodeChatRequest(body)
		if e != nil {
			if req != nil || e.Status != 400 || e.Code != ingress.CodeInvalidRequest || e.Message == "" {
				t.Fatalf("bad error %+v for %q", e, body)
			}
			if _, err := json.Marshal(e); err != nil {
				t.Fatal(err)
			}
			return
		}
		if len(req.Chat.Messages) == 0 || req.Chat.MaxTokens < 0 {
			t.Fatalf("accepted %q as %+v", body, req)
		}
		for _, m := range req.Chat.Messages {
			if m.Role == "tool" && m.ToolCallID == "" {
				t.Fatalf("tool message without id from %q", body)
			}
			if m.Content == nil && m.Role != "assistant" {
				t.Fatalf("%s message without content from %q", m.Role, body)
			}
		}
	})
}

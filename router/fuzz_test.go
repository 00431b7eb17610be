package router

import (
	"encoding/json"
	"reflect"
	"testing"
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
			if req != nil || e.Status != 400 || e.Code != codeInvalidRequest || e.Message == "" {
				t.Fatalf("bad error %+v for %q", e, body)
			}
			if _, err := json.Marshal(e); err != nil {
				t.Fatal(err)
			}
			return
		}
		if len(req.Messages) == 0 || req.MaxTokens < 0 {
			t.Fatalf("accepted %q as %+v", body, req)
		}
		for _, m := range req.Messages {
			if m.Role == "tool" && m.ToolCallID == "" {
				t.Fatalf("tool message without id from %q", body)
			}
			if m.Content == nil && m.Role != "assistant" {
				t.Fatalf("%s message without content from %q", m.Role, body)
			}
		}
	})
}

// fuzzDecoder is shared by every input, so that inputs meet each other's
// messages in its cache.
var fuzzDecoder = newRequestDecoder(1 << 20)

// FuzzDecodeCached: the cached decoder returns exactly what
// decodeChatRequest returns, error or request, the first time it sees a
// body and the second.
func FuzzDecodeCached(f *testing.F) {
	for _, s := range []string{
		`{"messages":[{"role":"user","content":"hi"}]}`,
		` { "model" : "auto" , "messages" : [ {"role":"user","content":"a \"quoted\" \\ word\\"} , {"role":"assistant","content":"b"} ] , "max_tokens" : 5 } `,
		`{"Messages":[{"role":"user","content":"x"}]}`,
		`{"messages":[{"role":"user","content":"x"}],"messages":[{"role":"user","content":"y"}]}`,
		`{"messages":[{"role":"user","content":"x"}]}}`,
		`{"messages":[]}`, `{"messages":[{"role":"user","content":"x"},]}`, `{"messages":[{"role":"user"}]}`,
		`{"m\u0065ssages":[{"role":"user","content":"x"}]}`,
		`{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","x":[1,{"y":"]}"}]}}}]}`,
		`{"messages":[{"role":"user","content":"x"}],"temperature":"hot"}`,
		`{"messages":[{"role":"user","content":"x"}],"n":2}`,
		`{"messages":[{"role":"user","content":"x"}],"stream":tru}`,
		`{"messages":[{"role":"user","content":"x", "content":[1 2]}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		want, wantErr := decodeChatRequest(body)
		for pass := range 2 {
			got, memo, gotErr := fuzzDecoder.decode(body)
			if !reflect.DeepEqual(gotErr, wantErr) {
				t.Fatalf("pass %d: %q: error %+v, decodeChatRequest says %+v", pass, body, gotErr, wantErr)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("pass %d: %q:\n got %+v\nwant %+v", pass, body, got, want)
			}
			if memo != nil && (len(memo.messages) != len(got.Messages) || memo.rest == nil) {
				t.Fatalf("%d entries for %d messages", len(memo.messages), len(got.Messages))
			}
		}
	})
}

package openaichat

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"
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

// FuzzTextChunk holds the hand-written chunk of a text delta to what
// encoding/json writes for the same chunk: the same JSON value, over any
// id, model, text and reasoning, with and without the role and the usage
// member, and the members in the same order.
func FuzzTextChunk(f *testing.F) {
	f.Add("chatcmpl-1", "qwen3-coder:30b", int64(1733500000), "hello <b> & \"you\"\n", "", true, false, true)
	f.Add("", "m\u2028", int64(-1), "", "thinking \xff\b", false, true, false)
	f.Fuzz(func(t *testing.T, id, model string, created int64, content, reasoning string, role, withContent, usage bool) {
		cw := &answer{id: id, model: model, created: created, includeUsage: usage}
		d := oaDelta{ReasoningContent: reasoning}
		if role {
			d.Role = "assistant"
		}
		if withContent {
			d.Content = &content
		}
		for range 2 { // the second uses the head the first wrote
			got, want := cw.appendText(nil, &d), cw.marshal(oaChunkChoice{Delta: d})
			g, err := tokens(got)
			if err != nil {
				t.Fatalf("hand-written chunk is not JSON (%v): %s", err, got)
			}
			if w, _ := tokens(want); !reflect.DeepEqual(g, w) {
				t.Fatalf("hand-written chunk\n%s\nencoding/json\n%s", got, want)
			}
		}
	})
}

// tokens is j's JSON tokens in order: two documents with the same tokens
// hold the same values with their members in the same order, which a
// client reading chunks with a streaming parser sees.
func tokens(j []byte) ([]json.Token, error) {
	var ts []json.Token
	dec := json.NewDecoder(bytes.NewReader(j))
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return ts, nil
		}
		if err != nil {
			return nil, err
		}
		ts = append(ts, tok)
	}
}

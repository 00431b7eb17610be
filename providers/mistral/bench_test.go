package mistral

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/chat"
)

// codingConversation is the shape of an agent's request: a long system
// prompt, tools, and many tool round trips with ids from another provider.
func codingConversation(turns int) *chat.Request {
	req := &chat.Request{Messages: []chat.Message{system(strings.Repeat("You are a coding agent. ", 400)), user("fix the failing test")}}
	for i := range 12 {
		req.Tools = append(req.Tools, chat.Tool{Name: fmt.Sprintf("tool_%d", i), Description: "does a thing",
			Parameters: json.RawMessage(`{"type":"object","properties":{"path":{"type":"string"}},"required":["path"]}`)})
	}
	for i := range turns {
		id := fmt.Sprintf("call_%08x", i*7919)
		req.Messages = append(req.Messages,
			assistant("Reading the file.", call(id, "tool_1", `{"path":"pkg/file.go"}`)),
			result(id, strings.Repeat("package pkg\n\nfunc F() {}\n", 40)),
		)
		if i%5 == 4 {
			req.Messages = append(req.Messages, user("keep going"))
		}
	}
	return req
}

func BenchmarkSanitize(b *testing.B) {
	req := codingConversation(60)
	b.ReportAllocs()
	for b.Loop() {
		w, err := sanitize(req, "devstral-latest")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := json.Marshal(w); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeEvent(b *testing.B) {
	raw := []byte(`{"id":"f798ebd5c41a45d88bb079635121cade","object":"chat.completion.chunk","created":1769088900,"model":"devstral-latest","choices":[{"index":0,"delta":{"content":" module"},"finish_reason":null}],"p":"abcdefghijklmnopqrstuvwxyz0123456789"}`)
	s := &stream{p: &Provider{name: "devstral"}}
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if _, err := s.decode(raw); err != nil {
			b.Fatal(err)
		}
	}
}

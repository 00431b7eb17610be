package geminitest

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/ingress"
	"github.com/switchyard/switchyard/ingress/gemini"
)

// A conversation through a server that is only the Dialect: a call, its
// result sent back and paired, then text; streamed and whole.
func TestConversation(t *testing.T) {
	d := gemini.Dialect{}
	var seen []*chat.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req, err := d.Decode(r, body)
		if err != nil {
			d.WriteError(w, err.(*ingress.Error))
			return
		}
		seen = append(seen, req.Chat)
		ans := d.NewAnswer(req, ingress.AnswerInfo{Model: "m", Created: time.Now()})
		c := chat.Chunk{Content: "done", FinishReason: chat.FinishStop}
		if last := req.Chat.Messages[len(req.Chat.Messages)-1]; last.Role != chat.RoleTool {
			c = chat.Chunk{ToolCalls: []chat.ToolCallDelta{{ID: "call_x", Name: "read_file", Arguments: `{"path":"a.go"}`}}, FinishReason: chat.FinishToolCalls}
		}
		if !req.Chat.Stream {
			var asm ingress.Assembler
			asm.Add(&c)
			w.Write(ans.Whole(asm.Answer()))
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		f := c.FinishReason
		c.FinishReason = ""
		w.Write(ans.Chunk(&c))
		w.Write(ans.End(f, &chat.Usage{PromptTokens: 3, CompletionTokens: 1}))
	}))
	defer srv.Close()
	for _, stream := range []bool{false, true} {
		conv := Client{}.New(srv.URL, "auto")
		conv.User("read a.go")
		a, err := conv.Send(context.Background(), stream)
		if err != nil {
			t.Fatal(err)
		}
		if a.Finish != "tool_calls" || len(a.Calls) != 1 || a.Calls[0].ID != "call_x" || a.Calls[0].Args["path"] != "a.go" {
			t.Fatalf("stream %v: %+v", stream, a)
		}
		conv.Results("package a")
		a, err = conv.Send(context.Background(), stream)
		if err != nil || a.Text != "done" || a.Finish != "stop" {
			t.Fatalf("stream %v: %+v %v", stream, a, err)
		}
		last := seen[len(seen)-1].Messages
		if tm := last[len(last)-1]; tm.Role != chat.RoleTool || tm.ToolCallID != "call_x" || tm.Text() != "package a" {
			t.Errorf("tool message %+v", tm)
		}
	}
}

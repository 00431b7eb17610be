package ollama

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/providers/ollama/ollamafake"
)

// agentHistory is a coding-agent-like job: a system prompt, tools, and
// turns of tool calls and results.
func agentHistory(turns int) *chat.Request {
	req := &chat.Request{
		Messages: []chat.Message{{Role: chat.RoleSystem, Content: []chat.Part{{Type: chat.PartText, Text: strings.Repeat("You are a coding agent. ", 200)}}},
			userText("Fix the failing test in router/plan_test.go")},
		Tools: []chat.Tool{{Name: "read_file", Parameters: []byte(`{"type":"object","properties":{"path":{"type":"string"}}}`)},
			{Name: "write_file", Parameters: []byte(`{"type":"object","properties":{"path":{"type":"string"},"content":{"type":"string"}}}`)}},
	}
	for i := range turns {
		id := fmt.Sprintf("call_%d", i)
		req.Messages = append(req.Messages,
			chat.Message{Role: chat.RoleAssistant, ToolCalls: []chat.ToolCall{{ID: id, Name: "read_file", Arguments: fmt.Sprintf(`{"path":"file%d.go"}`, i)}}},
			chat.Message{Role: chat.RoleTool, ToolCallID: id, Content: []chat.Part{{Type: chat.PartText, Text: strings.Repeat("func f() {}\n", 100)}}})
	}
	return req
}

// BenchmarkChat translates a 20-turn agent job, sends it to the fake over
// HTTP and reads a 200-chunk answer ending in a tool call.
func BenchmarkChat(b *testing.B) {
	e := newEnv(b, Options{}, ollamafake.Options{})
	if _, err := e.p.Refresh(context.Background()); err != nil {
		b.Fatal(err)
	}
	reply := ollamafake.Reply{}
	for range 200 {
		reply.Steps = append(reply.Steps, ollamafake.Step{Content: " token"})
	}
	reply.Steps = append(reply.Steps, ollamafake.Step{ToolCalls: []ollamafake.ScriptedCall{{Name: "write_file", Arguments: `{"path":"a.go","content":"package a"}`}}})
	req := agentHistory(20)
	b.ReportAllocs()
	for b.Loop() {
		e.fake.Enqueue(reply)
		chunks, err := e.chat(b, req)
		if err != nil || len(chunks) != 202 {
			b.Fatalf("%d chunks, %v", len(chunks), err)
		}
	}
}

// BenchmarkTranslate is the OpenAI→Ollama translation and encoding alone.
func BenchmarkTranslate(b *testing.B) {
	p := New(Options{Model: "qwen3-coder:30b"})
	req := agentHistory(20)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.translate(req, 262144, thinkNone); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStreamRead is the NDJSON reader alone, per line.
func BenchmarkStreamRead(b *testing.B) {
	var body bytes.Buffer
	const n = 1000
	for range n {
		body.WriteString(`{"model":"qwen3-coder:30b","created_at":"2026-11-20T09:15:40.519847102Z","message":{"role":"assistant","content":" token"},"done":false}` + "\n")
	}
	body.WriteString(`{"model":"qwen3-coder:30b","message":{"role":"assistant","content":""},"done_reason":"stop","done":true,"prompt_eval_count":812,"eval_count":1000}` + "\n")
	p := New(Options{})
	b.SetBytes(int64(body.Len()))
	b.ReportAllocs()
	for b.Loop() {
		s := newStream(p, context.Background(), io.NopCloser(bytes.NewReader(body.Bytes())), 8192)
		chunks, err := collect(s)
		if err != nil || len(chunks) != n+1 {
			b.Fatal(len(chunks), err)
		}
	}
}

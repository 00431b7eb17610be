package gemini

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/chat"
	"google.golang.org/genai"
)

// agentRequest is the shape of a coding agent's turn: a long system prompt,
// 30 tools, 40 messages of tool loop.
func agentRequest() *chat.Request {
	req := &chat.Request{MaxTokens: 8192}
	req.Messages = append(req.Messages, chat.Message{Role: chat.RoleSystem, Content: text(strings.Repeat("You are a coding agent. ", 400))})
	for i := range 30 {
		req.Tools = append(req.Tools, chat.Tool{Name: fmt.Sprintf("tool_%d", i), Description: "does things",
			Parameters: []byte(`{"type":"object","properties":{"path":{"type":"string"},"n":{"type":"integer"}},"required":["path"]}`)})
	}
	sig := make([]byte, 768)
	req.Messages = append(req.Messages, chat.Message{Role: chat.RoleUser, Content: text("fix the bug")})
	for i := range 20 {
		id, _ := encodeCallID(newCallID(), sigRef{sig: sig}, 4096)
		req.Messages = append(req.Messages,
			chat.Message{Role: chat.RoleAssistant, ToolCalls: []chat.ToolCall{{ID: id, Name: fmt.Sprintf("tool_%d", i), Arguments: `{"path":"a/b.go","n":3}`}}},
			chat.Message{Role: chat.RoleTool, ToolCallID: id, Content: text(strings.Repeat("line of code\n", 200))})
	}
	return req
}

func BenchmarkTranslate(b *testing.B) {
	p := offlineProvider(b)
	req := agentRequest()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.translate(req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStreamConsume measures turning SDK responses into chunks,
// without HTTP: 200 text events and a final one with two calls.
func BenchmarkStreamConsume(b *testing.B) {
	p := offlineProvider(b)
	events := make([]*genai.GenerateContentResponse, 0, 201)
	for range 200 {
		events = append(events, &genai.GenerateContentResponse{Candidates: []*genai.Candidate{{Content: &genai.Content{Parts: []*genai.Part{{Text: "some tokens "}}}}}})
	}
	events = append(events, &genai.GenerateContentResponse{
		Candidates: []*genai.Candidate{{FinishReason: genai.FinishReasonStop, Content: &genai.Content{Parts: []*genai.Part{
			{FunctionCall: &genai.FunctionCall{Name: "f", Args: map[string]any{"a": 1}}, ThoughtSignature: make([]byte, 768)},
			{FunctionCall: &genai.FunctionCall{Name: "g", Args: map[string]any{"b": "x"}}},
		}}}},
		UsageMetadata: &genai.GenerateContentResponseUsageMetadata{PromptTokenCount: 10, CandidatesTokenCount: 5, ThoughtsTokenCount: 7},
	})
	seq := func(yield func(*genai.GenerateContentResponse, error) bool) {
		for _, e := range events {
			if !yield(e, nil) {
				return
			}
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		ctx, cancel := context.WithCancel(context.Background())
		s := newStream(p, seq, ctx, cancel, &respMeta{})
		for {
			_, err := s.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		s.Close()
	}
}

package providertest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/ingress"
	"github.com/switchyard/switchyard/ingress/ingresstest"
	"github.com/switchyard/switchyard/providers"
)

// The suite on providers.Provider itself: switchyard's own request in,
// chunks out, as the router hands every dialect's job to it.

var readFileTool = chat.Tool{Name: ingresstest.ReadFile.Name, Description: ingresstest.ReadFile.Description,
	Parameters: json.RawMessage(ingresstest.ReadFile.Schema)}

func userMessage(s string) chat.Message {
	return chat.Message{Role: chat.RoleUser, Content: []chat.Part{{Type: chat.PartText, Text: s}}}
}

// ask sends the history and reads the whole answer, checking the stream's
// contract on the way: the finish reason on the last chunk only, then
// io.EOF.
func ask(t *testing.T, ctx context.Context, b *Backend, p providers.Provider, stream bool, history ...chat.Message) (*ingress.Assembled, error) {
	t.Helper()
	req := &chat.Request{Model: b.Name, Messages: history, Tools: []chat.Tool{readFileTool}, Stream: stream}
	st, err := p.Chat(ctx, req)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	var a ingress.Assembler
	finished := false
	for {
		c, err := st.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if finished {
			t.Fatalf("a chunk after the one with the finish reason: %+v", c)
		}
		finished = c.FinishReason != ""
		a.Add(&c)
	}
	if !finished {
		t.Fatal("the stream ended without a finish reason")
	}
	return a.Answer(), nil
}

func mustAsk(t *testing.T, b *Backend, p providers.Provider, stream bool, history ...chat.Message) *ingress.Assembled {
	t.Helper()
	a, err := ask(t, context.Background(), b, p, stream, history...)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func directPlain(t *testing.T, b *Backend, p providers.Provider) {
	b.Text("Hello", ", world")
	a := mustAsk(t, b, p, false, userMessage("say hello"))
	if a.Content != "Hello, world" || a.Finish != chat.FinishStop || len(a.ToolCalls) != 0 {
		t.Errorf("content %q finish %q calls %v", a.Content, a.Finish, a.ToolCalls)
	}
	if a.Usage == nil || a.Usage.PromptTokens <= 0 || a.Usage.CompletionTokens <= 0 {
		t.Errorf("usage %+v", a.Usage)
	}
}

func directStreamed(t *testing.T, b *Backend, p providers.Provider) {
	b.Text("one ", "two ", "three")
	a := mustAsk(t, b, p, true, userMessage("count"))
	if a.Content != "one two three" || a.Finish != chat.FinishStop {
		t.Errorf("content %q finish %q", a.Content, a.Finish)
	}
}

// assistant is the assistant message an answer makes in the history.
func assistant(a *ingress.Assembled) chat.Message {
	m := chat.Message{Role: chat.RoleAssistant, ToolCalls: a.ToolCalls}
	if a.Content != "" {
		m.Content = []chat.Part{{Type: chat.PartText, Text: a.Content}}
	}
	if a.Reasoning != "" || a.ReasoningSignature != "" {
		m.Reasoning = []chat.Reasoning{{Text: a.Reasoning, Signature: a.ReasoningSignature}}
	}
	return m
}

func toolResult(id, text string) chat.Message {
	return chat.Message{Role: chat.RoleTool, ToolCallID: id, Content: []chat.Part{{Type: chat.PartText, Text: text}}}
}

func directToolRoundTrip(t *testing.T, b *Backend, p providers.Provider) {
	b.ToolCalls(Call{Name: "read_file", Args: map[string]any{"path": "main.go"}})
	history := []chat.Message{userMessage("what does main.go do?")}
	a := mustAsk(t, b, p, false, history...)
	if a.Finish != chat.FinishToolCalls || len(a.ToolCalls) != 1 {
		t.Fatalf("turn 1: finish %q calls %+v", a.Finish, a.ToolCalls)
	}
	call := a.ToolCalls[0]
	var args map[string]any
	if err := json.Unmarshal([]byte(call.Arguments), &args); err != nil || call.ID == "" || call.Name != "read_file" || args["path"] != "main.go" {
		t.Fatalf("turn 1 call %+v", call)
	}
	history = append(history, assistant(a), toolResult(call.ID, "package main\nfunc main() {}"))
	b.Text("It does nothing.")
	a = mustAsk(t, b, p, true, history...)
	if a.Content != "It does nothing." {
		t.Fatalf("turn 2: %q", a.Content)
	}
	history = append(history, assistant(a), userMessage("thanks"))
	b.Text("You're welcome.")
	if a := mustAsk(t, b, p, false, history...); a.Content != "You're welcome." {
		t.Errorf("turn 3: %q", a.Content)
	}
}

func directParallel(t *testing.T, b *Backend, p providers.Provider) {
	b.ToolCalls(Call{Name: "read_file", Args: map[string]any{"path": "a.go"}}, Call{Name: "read_file", Args: map[string]any{"path": "b.go"}})
	history := []chat.Message{userMessage("read a.go and b.go")}
	a := mustAsk(t, b, p, true, history...)
	if a.Finish != chat.FinishToolCalls || len(a.ToolCalls) != 2 || a.ToolCalls[0].ID == a.ToolCalls[1].ID {
		t.Fatalf("finish %q calls %+v", a.Finish, a.ToolCalls)
	}
	if !strings.Contains(a.ToolCalls[0].Arguments+a.ToolCalls[1].Arguments, "a.go") || !strings.Contains(a.ToolCalls[0].Arguments+a.ToolCalls[1].Arguments, "b.go") {
		t.Errorf("calls %+v", a.ToolCalls)
	}
	history = append(history, assistant(a), toolResult(a.ToolCalls[0].ID, "package a"), toolResult(a.ToolCalls[1].ID, "package b"))
	b.Text("Two packages.")
	if a := mustAsk(t, b, p, false, history...); a.Content != "Two packages." {
		t.Fatalf("results back: %q", a.Content)
	}
}

func directRateLimited(t *testing.T, b *Backend, p providers.Provider) {
	b.Fail(429, 1, 0)
	b.Text("after the wait")
	a, err := ask(t, context.Background(), b, p, false, userMessage("hi"))
	if b.Retries {
		if err != nil || a.Content != "after the wait" {
			t.Fatalf("%+v %v", a, err)
		}
		return
	}
	if pe, ok := providers.AsError(err); !ok || pe.Kind != providers.KindRateLimited {
		t.Fatalf("want a rate-limited error, got %v", err)
	}
}

func directServerError(t *testing.T, b *Backend, p providers.Provider) {
	b.Fail(500, 10, 0)
	_, err := ask(t, context.Background(), b, p, false, userMessage("hi"))
	pe, ok := providers.AsError(err)
	if !ok || pe.Kind != providers.KindServer || pe.Provider != b.Name {
		t.Fatalf("want a server error naming %s, got %#v", b.Name, err)
	}
}

func directCancellation(t *testing.T, b *Backend, p providers.Provider) {
	b.Slow(10*time.Second, "too late")
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := ask(t, ctx, b, p, false, userMessage("hi")); err == nil {
		t.Fatal("no error")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("cancellation took %v", d)
	}
}

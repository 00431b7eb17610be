package ollama

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/providers"
	"github.com/switchyard/switchyard/providers/ollama/ollamafake"
)

func TestStreamText(t *testing.T) {
	var got []Metrics
	e := newEnv(t, Options{Observe: func(m Metrics) { got = append(got, m) }}, ollamafake.Options{PrefillTokensPerSecond: 500})
	e.fake.Enqueue(ollamafake.Reply{Steps: []ollamafake.Step{{Content: "Hello"}, {Content: ", "}, {Content: "world"}}})
	chunks, err := e.chat(t, &chat.Request{Messages: []chat.Message{userText("hi")}})
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	for _, c := range chunks[:len(chunks)-1] {
		if c.FinishReason != "" || c.Usage != nil {
			t.Errorf("a chunk before the last carries finish %q usage %v", c.FinishReason, c.Usage)
		}
		text.WriteString(c.Content)
	}
	last := chunks[len(chunks)-1]
	if text.String()+last.Content != "Hello, world" {
		t.Errorf("text %q", text.String()+last.Content)
	}
	if last.FinishReason != chat.FinishStop || last.Usage == nil || last.Usage.PromptTokens == 0 || last.Usage.CompletionTokens == 0 {
		t.Fatalf("last chunk %+v", last)
	}
	if len(got) != 1 || got[0].PromptEvalCount != last.Usage.PromptTokens || got[0].NumCtx != 262144 || got[0].DoneReason != "stop" {
		t.Fatalf("metrics %+v", got)
	}
	want := time.Duration(float64(got[0].PromptEvalCount) / 500 * float64(time.Second))
	if d := got[0].PromptEvalDuration - want; d < -time.Millisecond || d > time.Millisecond {
		t.Errorf("prompt eval duration %v, want %v", got[0].PromptEvalDuration, want)
	}
}

func TestStreamToolCalls(t *testing.T) {
	e := newEnv(t, Options{}, ollamafake.Options{})
	e.fake.Enqueue(ollamafake.Reply{Steps: []ollamafake.Step{
		{Content: "Reading."},
		{ToolCalls: []ollamafake.ScriptedCall{{Name: "read_file", Arguments: `{"path": "a.go",  "limit": 10}`}}},
		{ToolCalls: []ollamafake.ScriptedCall{{ID: "call_given01", Name: "grep", Arguments: `{"q":"x"}`}, {Name: "ls"}}},
	}})
	chunks, err := e.chat(t, &chat.Request{Messages: []chat.Message{userText("read")},
		Tools: []chat.Tool{{Name: "read_file"}, {Name: "grep"}, {Name: "ls"}}})
	if err != nil {
		t.Fatal(err)
	}
	var calls []chat.ToolCallDelta
	for _, c := range chunks {
		calls = append(calls, c.ToolCalls...)
	}
	want := []struct{ name, args string }{{"read_file", `{"path":"a.go","limit":10}`}, {"grep", `{"q":"x"}`}, {"ls", `{}`}}
	if len(calls) != len(want) {
		t.Fatalf("calls %+v", calls)
	}
	for i, c := range calls {
		if c.Index != i || c.Name != want[i].name || c.Arguments != want[i].args || !strings.HasPrefix(c.ID, "call_") {
			t.Errorf("call %d = %+v, want index %d %s %s", i, c, i, want[i].name, want[i].args)
		}
	}
	if calls[1].ID != "call_given01" || calls[0].ID == calls[2].ID {
		t.Errorf("ids %q %q %q", calls[0].ID, calls[1].ID, calls[2].ID)
	}
	if f := chunks[len(chunks)-1].FinishReason; f != chat.FinishToolCalls {
		t.Errorf("finish %q, want tool_calls", f)
	}
}

func TestStreamSynthesisesMissingIDs(t *testing.T) {
	e := newEnv(t, Options{}, ollamafake.Options{})
	e.fake.Enqueue(ollamafake.Reply{OmitToolCallIDs: true, Steps: []ollamafake.Step{
		{ToolCalls: []ollamafake.ScriptedCall{{Name: "a"}, {Name: "b"}}},
	}})
	chunks, err := e.chat(t, &chat.Request{Messages: []chat.Message{userText("x")}, Tools: []chat.Tool{{Name: "a"}, {Name: "b"}}})
	if err != nil {
		t.Fatal(err)
	}
	calls := chunks[0].ToolCalls
	if len(calls) != 2 || calls[0].ID == calls[1].ID {
		t.Fatalf("calls %+v", calls)
	}
	for _, c := range calls {
		if len(c.ID) != 29 || !strings.HasPrefix(c.ID, "call_") || strings.Trim(c.ID[5:], idAlphabet) != "" {
			t.Errorf("synthesised id %q is not call_ + 24 alphanumerics", c.ID)
		}
	}
}

func TestStreamLength(t *testing.T) {
	e := newEnv(t, Options{}, ollamafake.Options{})
	e.fake.Enqueue(ollamafake.Text("aaaa", "bbbb", "cccc"))
	chunks, err := e.chat(t, &chat.Request{Messages: []chat.Message{userText("x")}, MaxTokens: 2})
	if err != nil {
		t.Fatal(err)
	}
	if last := chunks[len(chunks)-1]; last.FinishReason != chat.FinishLength || last.Usage.CompletionTokens != 2 {
		t.Fatalf("last %+v", last)
	}
}

func TestStreamFailures(t *testing.T) {
	tests := []struct {
		name     string
		reply    ollamafake.Reply
		wantKind providers.ErrorKind
		wantMsg  string
	}{
		{"mid-stream-error", ollamafake.Reply{Steps: []ollamafake.Step{{Content: "part"}, {Error: "model runner has unexpectedly stopped"}}},
			providers.KindServer, "model runner has unexpectedly stopped"},
		{"cut-connection", ollamafake.Reply{Steps: []ollamafake.Step{{Content: "part"}, {Cut: true}}},
			providers.KindServer, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, Options{}, ollamafake.Options{})
			e.fake.Enqueue(tt.reply)
			chunks, err := e.chat(t, &chat.Request{Messages: []chat.Message{userText("x")}})
			if err == nil || errors.Is(err, io.EOF) {
				t.Fatalf("got %v after %d chunks, want an error", err, len(chunks))
			}
			if k := kindOf(t, err); k != tt.wantKind || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %v kind %v, want %v containing %q", err, k, tt.wantKind, tt.wantMsg)
			}
			if len(chunks) != 1 || chunks[0].Content != "part" {
				t.Errorf("chunks before the failure %+v", chunks)
			}
		})
	}
}

// TestStreamBodies feeds bodies no real fake would write straight to the
// stream reader.
func TestStreamBodies(t *testing.T) {
	done := `{"model":"m","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","prompt_eval_count":5,"eval_count":1}`
	tests := []struct {
		name     string
		body     string
		wantText string
		wantKind providers.ErrorKind // -1: no error
	}{
		{"complete", `{"message":{"content":"a"},"done":false}` + "\n\n" + done + "\n", "a", -1},
		{"final-line-without-newline", `{"message":{"content":"a"},"done":false}` + "\n" + done, "a", -1},
		{"empty-body", ``, "", providers.KindServer},
		{"eof-before-done", `{"message":{"content":"a"},"done":false}` + "\n", "a", providers.KindServer},
		{"cut-mid-line", `{"message":{"content":"a"},"done":false}` + "\n" + `{"message":{"con`, "a", providers.KindServer},
		{"malformed-line", `{"message":{"content":"a"},"done":false}` + "\nnot json\n" + done, "a", providers.KindProtocol},
		{"html", "<html>502 Bad Gateway</html>\n", "", providers.KindProtocol},
		{"error-line", `{"error":"out of memory"}` + "\n", "", providers.KindServer},
		{"error-object", `{"error":{"message":"boom"}}` + "\n", "", providers.KindServer},
		{"arguments-not-object", `{"message":{"tool_calls":[{"function":{"name":"f","arguments":"[1]"}}]},"done":false}` + "\n" + done, "", providers.KindProtocol},
		{"data-after-done", done + "\n" + `{"message":{"content":"late"}}` + "\n", "", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := New(Options{Name: "local"})
			s := newStream(p, context.Background(), io.NopCloser(strings.NewReader(tt.body)), 8192)
			chunks, err := collect(s)
			var text strings.Builder
			for _, c := range chunks {
				text.WriteString(c.Content)
			}
			if text.String() != tt.wantText {
				t.Errorf("text %q, want %q", text.String(), tt.wantText)
			}
			if tt.wantKind < 0 {
				if err != nil {
					t.Fatalf("error %v", err)
				}
				if chunks[len(chunks)-1].FinishReason != chat.FinishStop {
					t.Errorf("last chunk %+v", chunks[len(chunks)-1])
				}
				return
			}
			if err == nil {
				t.Fatalf("no error; chunks %+v", chunks)
			}
			if k := kindOf(t, err); k != tt.wantKind {
				t.Errorf("kind %v, want %v (%v)", k, tt.wantKind, err)
			}
			// The failure is sticky.
			if _, err2 := s.Next(); err2 != err {
				t.Errorf("second Next: %v, want %v", err2, err)
			}
		})
	}
}

func TestLongLine(t *testing.T) {
	args := `{"content":"` + strings.Repeat("x", 200<<10) + `"}`
	body := `{"message":{"tool_calls":[{"function":{"name":"write","arguments":` + args + `}}]},"done":false}` + "\n" +
		`{"done":true,"done_reason":"stop"}` + "\n"
	s := newStream(New(Options{}), context.Background(), io.NopCloser(strings.NewReader(body)), 8192)
	chunks, err := collect(s)
	if err != nil {
		t.Fatal(err)
	}
	if got := chunks[0].ToolCalls[0].Arguments; got != args {
		t.Errorf("arguments of %d bytes, want %d", len(got), len(args))
	}
}

// TestCancelCancelsUpstream: cancelling the context while Ollama is still
// in its prefill makes Chat return at once, and the fake sees the client go.
func TestCancelCancelsUpstream(t *testing.T) {
	e := newEnv(t, Options{}, ollamafake.Options{})
	e.fake.Enqueue(ollamafake.Reply{FirstChunkDelay: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		// Cancel once the request reached the fake.
		for len(e.fake.ChatRequests()) == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	_, err := e.p.Chat(ctx, &chat.Request{Messages: []chat.Message{userText("x")}})
	if err == nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want one wrapping context.Canceled", err)
	}
	if k := kindOf(t, err); k != providers.KindRequest {
		t.Errorf("kind %v, want request (the client went away)", k)
	}
}

// TestCancelMidStream: cancelling after the first chunk ends Next with an
// error, and Close after that is harmless.
func TestCancelMidStream(t *testing.T) {
	e := newEnv(t, Options{}, ollamafake.Options{})
	e.fake.Enqueue(ollamafake.Reply{Steps: []ollamafake.Step{{Content: "first"}, {Content: "never", Delay: time.Hour}}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := e.p.Chat(ctx, &chat.Request{Messages: []chat.Message{userText("x")}})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := s.Next(); err != nil || c.Content != "first" {
		t.Fatalf("first chunk %+v %v", c, err)
	}
	cancel()
	if _, err := s.Next(); err == nil || errors.Is(err, io.EOF) {
		t.Fatalf("Next after cancel: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s.Close()
}

// TestCloseUnblocksNext: Close from another goroutine ends a Next that
// waits for Ollama.
func TestCloseUnblocksNext(t *testing.T) {
	e := newEnv(t, Options{}, ollamafake.Options{})
	e.fake.Enqueue(ollamafake.Reply{Steps: []ollamafake.Step{{Content: "first"}, {Content: "never", Delay: time.Hour}}})
	s, err := e.p.Chat(context.Background(), &chat.Request{Messages: []chat.Message{userText("x")}})
	if err != nil {
		t.Fatal(err)
	}
	s.Next()
	errc := make(chan error)
	go func() {
		_, err := s.Next()
		errc <- err
	}()
	time.Sleep(10 * time.Millisecond)
	s.Close()
	if err := <-errc; err == nil || errors.Is(err, io.EOF) {
		t.Fatalf("Next after Close: %v", err)
	}
}

func TestNonStreamingClientStillStreamsUpstream(t *testing.T) {
	e := newEnv(t, Options{}, ollamafake.Options{})
	if _, err := e.chat(t, &chat.Request{Stream: false, Messages: []chat.Message{userText("x")}}); err != nil {
		t.Fatal(err)
	}
	var body map[string]json.RawMessage
	json.Unmarshal(e.fake.Requests()[len(e.fake.Requests())-1].Raw, &body)
	if string(body["stream"]) != "true" {
		t.Errorf("stream %s, want true", body["stream"])
	}
}

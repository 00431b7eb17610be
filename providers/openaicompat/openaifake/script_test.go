package openaifake

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

func sdk(t *testing.T, s *Server) openai.Client {
	t.Helper()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return openai.NewClient(option.WithBaseURL(srv.URL+"/v1"), option.WithAPIKey("unused"), option.WithMaxRetries(0))
}

var askRead = openai.ChatCompletionNewParams{Model: "x", Messages: []openai.ChatCompletionMessageParamUnion{
	openai.UserMessage("read a.go and b.go")}}

// TestScriptedToolCalls: the official SDK assembles a scripted answer's
// calls, streamed (identity, then arguments, per index) and whole; the
// queue once empty, the echo answers again.
func TestScriptedToolCalls(t *testing.T) {
	s := New("qwen3-coder")
	client := sdk(t, s)
	two := Reply{Calls: []Call{{Name: "read_file", Arguments: `{"path":"a.go"}`}, {Name: "read_file", Arguments: `{"path":"b.go"}`}}}
	s.Enqueue(two, two, Reply{Text: []string{"Two ", "packages."}})

	c, err := client.Chat.Completions.New(context.Background(), askRead)
	if err != nil {
		t.Fatal(err)
	}
	checkCalls(t, "whole", string(c.Choices[0].FinishReason), c.Choices[0].Message.ToolCalls)

	params := askRead
	params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	st := client.Chat.Completions.NewStreaming(context.Background(), params)
	var acc openai.ChatCompletionAccumulator
	for st.Next() {
		acc.AddChunk(st.Current())
	}
	if err := st.Err(); err != nil {
		t.Fatal(err)
	}
	checkCalls(t, "streamed", string(acc.Choices[0].FinishReason), acc.Choices[0].Message.ToolCalls)
	if acc.Usage.CompletionTokens != 2 || acc.Usage.PromptTokens != int64(s.tokens(render(chatOf(t, s.LastBody())))) {
		t.Errorf("streamed usage %+v: want the two calls, and the prompt as the fake's template counts it", acc.Usage)
	}

	for _, want := range []string{"Two packages.", "You said: read a.go and b.go"} {
		c, err := client.Chat.Completions.New(context.Background(), askRead)
		if err != nil || c.Choices[0].Message.Content != want || c.Choices[0].FinishReason != "stop" {
			t.Fatalf("got %+v, %v; want %q", c, err, want)
		}
	}
}

func checkCalls(t *testing.T, how, finish string, calls []openai.ChatCompletionMessageToolCallUnion) {
	t.Helper()
	if finish != "tool_calls" || len(calls) != 2 || calls[0].ID == calls[1].ID || calls[0].ID == "" {
		t.Fatalf("%s: finish %q calls %+v", how, finish, calls)
	}
	for i, path := range []string{"a.go", "b.go"} {
		var args map[string]string
		if err := json.Unmarshal([]byte(calls[i].Function.Arguments), &args); err != nil || args["path"] != path || calls[i].Function.Name != "read_file" {
			t.Errorf("%s: call %d %+v", how, i, calls[i])
		}
	}
}

func chatOf(t *testing.T, body []byte) *chatPrompt {
	t.Helper()
	var p chatPrompt
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatal(err)
	}
	return &p
}

// TestScriptedFailure: a scripted failure comes in the OpenAI envelope
// with its Retry-After.
func TestScriptedFailure(t *testing.T) {
	s := New("m")
	srv := httptest.NewServer(s)
	defer srv.Close()
	s.Enqueue(Reply{Status: 429, RetryAfter: 7})
	resp, err := http.Post(srv.URL+"/v1/chat/completions", "application/json", strings.NewReader(`{"messages":[{"role":"user","content":"hi"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env struct {
		Error struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil || resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "7" || env.Error.Code != 429 || env.Error.Message == "" {
		t.Fatalf("HTTP %d Retry-After %q %+v %v", resp.StatusCode, resp.Header.Get("Retry-After"), env, err)
	}
	if s.Chats() != 1 {
		t.Errorf("chats %d", s.Chats())
	}
}

// TestScriptedDelayEndsWithTheRequest: a client that gives up on a
// delayed reply is let go at once.
func TestScriptedDelayEndsWithTheRequest(t *testing.T) {
	s := New("m")
	client := sdk(t, s)
	s.Enqueue(Reply{Delay: 10 * time.Second, Text: []string{"too late"}})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := client.Chat.Completions.New(ctx, askRead)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Fatalf("after %v: %v", time.Since(start), err)
	}
	// The next request is not held by the one that left.
	if c, err := client.Chat.Completions.New(context.Background(), askRead); err != nil || !strings.HasPrefix(c.Choices[0].Message.Content, "You said") {
		t.Fatalf("%+v %v", c, err)
	}
}

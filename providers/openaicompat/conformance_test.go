package openaicompat

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard/providers/providertest"
	"github.com/switchyard/switchyard/providers/retry"
)

// scriptedServer is an OpenAI-compatible chat completions server in the
// shape llama.cpp's server and vLLM answer (testdata/stream-toolcalls.sse):
// SSE chunks with tool-call fragments per index, a finish chunk, a usage
// chunk with choices:[] when stream_options.include_usage asks for it (and,
// as llama.cpp does, also without), then [DONE]; or one chat.completion.
type scriptedServer struct {
	mu      sync.Mutex
	replies []reply
	chats   int
}

type reply struct {
	text   []string
	calls  []providertest.Call
	status int
	retry  int
	delay  time.Duration
}

func (s *scriptedServer) enqueue(r ...reply) {
	s.mu.Lock()
	s.replies = append(s.replies, r...)
	s.mu.Unlock()
}

func (s *scriptedServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Stream   bool              `json:"stream"`
		Messages []json.RawMessage `json:"messages"`
	}
	body, _ := io.ReadAll(r.Body)
	if r.URL.Path != "/v1/chat/completions" || json.Unmarshal(body, &req) != nil || len(req.Messages) == 0 {
		http.Error(w, `{"error":{"message":"bad request"}}`, 400)
		return
	}
	s.mu.Lock()
	s.chats++
	var rp reply
	if len(s.replies) > 0 {
		rp, s.replies = s.replies[0], s.replies[1:]
	} else {
		rp = reply{text: []string{"default"}}
	}
	s.mu.Unlock()
	if rp.delay > 0 {
		select {
		case <-time.After(rp.delay):
		case <-r.Context().Done():
			return
		}
	}
	if rp.status != 0 {
		if rp.retry > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(rp.retry))
		}
		w.WriteHeader(rp.status)
		fmt.Fprintf(w, `{"error":{"message":"scripted %d","type":"server_error"}}`, rp.status)
		return
	}
	finish := "stop"
	var calls []map[string]any
	for i, c := range rp.calls {
		args, _ := json.Marshal(c.Args)
		calls = append(calls, map[string]any{"index": i, "id": fmt.Sprintf("call_%d_%d", s.chats, i), "type": "function",
			"function": map[string]any{"name": c.Name, "arguments": string(args)}})
		finish = "tool_calls"
	}
	usage := map[string]int{"prompt_tokens": 10 * len(req.Messages), "completion_tokens": len(rp.text) + len(rp.calls), "total_tokens": 10*len(req.Messages) + len(rp.text) + len(rp.calls)}
	if !req.Stream {
		content := ""
		for _, t := range rp.text {
			content += t
		}
		msg := map[string]any{"role": "assistant", "content": content}
		if len(calls) > 0 {
			msg["tool_calls"] = calls
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"id": "cmpl", "object": "chat.completion",
			"choices": []any{map[string]any{"index": 0, "message": msg, "finish_reason": finish}}, "usage": usage})
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	event := func(v any) {
		b, _ := json.Marshal(v)
		fmt.Fprintf(w, "data: %s\n\n", b)
		w.(http.Flusher).Flush()
	}
	chunk := func(delta map[string]any, fin any) map[string]any {
		return map[string]any{"id": "cmpl", "object": "chat.completion.chunk", "choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": fin}}}
	}
	event(chunk(map[string]any{"role": "assistant", "content": ""}, nil))
	for _, t := range rp.text {
		event(chunk(map[string]any{"content": t}, nil))
	}
	for _, c := range calls {
		// Identity first, then the arguments in a second fragment.
		fn := c["function"].(map[string]any)
		event(chunk(map[string]any{"tool_calls": []any{map[string]any{"index": c["index"], "id": c["id"], "type": "function", "function": map[string]any{"name": fn["name"], "arguments": ""}}}}, nil))
		event(chunk(map[string]any{"tool_calls": []any{map[string]any{"index": c["index"], "function": map[string]any{"arguments": fn["arguments"]}}}}, nil))
	}
	event(chunk(map[string]any{}, finish))
	event(map[string]any{"id": "cmpl", "object": "chat.completion.chunk", "choices": []any{}, "usage": usage})
	fmt.Fprint(w, "data: [DONE]\n\n")
}

func TestConformance(t *testing.T) {
	providertest.Run(t, func(t *testing.T) *providertest.Backend {
		s := &scriptedServer{}
		srv := httptest.NewServer(s)
		t.Cleanup(srv.Close)
		p := New(Options{Name: "llamacpp", BaseURL: srv.URL + "/v1", Model: "qwen",
			HTTPClient: retry.NewClient(retry.Options{Max: 2, WaitMin: time.Millisecond, WaitMax: 5 * time.Millisecond})})
		return &providertest.Backend{
			Name: "llamacpp", Kind: "openai", Model: "qwen", Window: 131072, Provider: p, Retries: true,
			Text:      func(pieces ...string) { s.enqueue(reply{text: pieces}) },
			ToolCalls: func(calls ...providertest.Call) { s.enqueue(reply{calls: calls}) },
			Fail: func(status, times, retryAfter int) {
				for i := 0; i < times; i++ {
					s.enqueue(reply{status: status, retry: retryAfter})
				}
			},
			Slow: func(d time.Duration, text string) { s.enqueue(reply{delay: d, text: []string{text}}) },
			Requests: func() int {
				s.mu.Lock()
				defer s.mu.Unlock()
				return s.chats
			},
		}
	})
}

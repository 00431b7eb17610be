package openaicompat

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/providers"
	"github.com/switchyard/switchyard/providers/retry"
)

// server is an OpenAI-compatible upstream in the shape llama.cpp server and
// vLLM use: the OpenAI chat completions wire format (SSE events, tool-call
// argument fragments per index, a choices:[] usage chunk before [DONE]);
// the recorded sample is testdata/stream-toolcalls.sse.
func server(t *testing.T, h http.HandlerFunc) (*Provider, *[]map[string]json.RawMessage) {
	var got []map[string]json.RawMessage
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/chat/completions" {
			http.NotFound(w, r)
			return
		}
		var m map[string]json.RawMessage
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &m); err != nil {
			w.WriteHeader(400)
			return
		}
		got = append(got, m)
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	p := New(Options{Name: "llamacpp", BaseURL: srv.URL + "/v1", Model: "qwen-local", APIKey: "key-ZZZ-distinct",
		HTTPClient: retry.NewClient(retry.Options{Max: 2, WaitMin: 1, WaitMax: 2})})
	return p, &got
}

// forward sends raw as an OpenAI chat completions client sent it.
func forward(p *Provider, stream bool, raw []byte) (providers.Stream, error) {
	st, ok, err := p.Forward(context.Background(), &chat.Request{Stream: stream}, providers.Origin{Dialect: "openai-chat", Body: raw})
	if !ok {
		return nil, errors.New("Forward declined an openai-chat request")
	}
	return st, err
}

func drain(t *testing.T, st providers.Stream) ([]chat.Chunk, error) {
	t.Helper()
	defer st.Close()
	var out []chat.Chunk
	for {
		c, err := st.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, c)
	}
}

func TestForwardsUnknownFieldsAndRewritesModel(t *testing.T) {
	sample, _ := os.ReadFile("testdata/stream-toolcalls.sse")
	p, got := server(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write(sample)
	})
	raw := []byte(`{"model":"auto","stream":true,"messages":[{"role":"user","content":"x"}],"min_p":0.05,"grammar":"root ::= x"}`)
	st, err := forward(p, true, raw)
	if err != nil {
		t.Fatal(err)
	}
	chunks, err := drain(t, st)
	if err != nil {
		t.Fatal(err)
	}
	m := (*got)[0]
	if string(m["model"]) != `"qwen-local"` || string(m["min_p"]) != "0.05" || string(m["grammar"]) != `"root ::= x"` {
		t.Errorf("forwarded %v", m)
	}
	var args string
	var last chat.Chunk
	for _, c := range chunks {
		for _, tc := range c.ToolCalls {
			args += tc.Arguments
			if tc.ID != "" && tc.ID != "call_abc" {
				t.Errorf("id %q", tc.ID)
			}
		}
		last = c
	}
	if args != `{"path":"a.go"}` || last.FinishReason != chat.FinishToolCalls || last.Usage == nil || last.Usage.PromptTokens != 42 {
		t.Errorf("args %q last %+v", args, last)
	}
}

// TestForwardAsksForUsage: a streamed request without stream_options asks
// a local engine for its usage chunk (the tally and the speed model need
// it); a client's own stream_options, and a whole request, go as they came.
func TestForwardAsksForUsage(t *testing.T) {
	sample, _ := os.ReadFile("testdata/stream-toolcalls.sse")
	p, got := server(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write(sample)
	})
	p.o.Local = true
	for _, c := range []struct {
		stream bool
		body   string
		want   string // stream_options as forwarded, "" for none
	}{
		{true, `{"model":"auto","stream":true,"messages":[{"role":"user","content":"x"}]}`, `{"include_usage":true}`},
		{true, `{"stream":true,"stream_options":{"include_usage":false,"continuous_usage_stats":true},"messages":[]}`, `{"include_usage":false,"continuous_usage_stats":true}`},
		{false, `{"model":"auto","messages":[{"role":"user","content":"x"}]}`, ""},
	} {
		*got = nil
		st, err := forward(p, c.stream, []byte(c.body))
		if err != nil {
			t.Fatal(err)
		}
		drain(t, st)
		if m := (*got)[0]; string(m["stream_options"]) != c.want || string(m["model"]) != `"qwen-local"` {
			t.Errorf("%s forwarded with stream_options %s, want %q", c.body, m["stream_options"], c.want)
		}
	}
}

// TestCloudForwardIsUnchanged: a stream forwarded to a cloud goes as the
// client sent it, byte for byte but for the model; no stream_options is
// added for switchyard's own tally.
func TestCloudForwardIsUnchanged(t *testing.T) {
	sample, _ := os.ReadFile("testdata/stream-toolcalls.sse")
	var got []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write(sample)
	}))
	defer srv.Close()
	p := New(Options{Name: "openrouter", BaseURL: srv.URL + "/v1", Model: "qwen/qwen3-coder", APIKey: "k"})
	raw := `{"model":"auto", "stream":true,"messages":[{"role":"user","content":"x"}],"min_p":0.05}`
	st, err := forward(p, true, []byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	drain(t, st)
	if want := strings.Replace(raw, `"auto"`, `"qwen/qwen3-coder"`, 1); string(got) != want {
		t.Errorf("forwarded %s\nwant      %s", got, want)
	}
}

// TestLlamaCppTimings reads what llama.cpp says of an answer's time
// (testdata/llamacpp-stream-timings.sse, in the shape of tools/server's
// streamed chat: timings on the finish chunk, usage on the chunk after
// it): the cached part of the prompt and how long the rest took ride on
// the usage, streamed or whole.
func TestLlamaCppTimings(t *testing.T) {
	sample, _ := os.ReadFile("testdata/llamacpp-stream-timings.sse")
	p, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write(sample)
	})
	st, err := forward(p, true, []byte(`{"stream":true,"messages":[{"role":"user","content":"fix it"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	chunks, err := drain(t, st)
	if err != nil {
		t.Fatal(err)
	}
	want := chat.Usage{PromptTokens: 8073, CompletionTokens: 3, CachedTokens: 8032, PromptDuration: 37512 * time.Microsecond}
	if u := chunks[len(chunks)-1].Usage; u == nil || *u != want {
		t.Errorf("usage %+v, want %+v", u, want)
	}
	p, _ = server(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"choices":[{"finish_reason":"stop","index":0,"message":{"role":"assistant","content":"Fixed."}}],"usage":{"completion_tokens":3,"prompt_tokens":8073,"total_tokens":8076},"timings":{"cache_n":8032,"prompt_n":41,"prompt_ms":37.512,"predicted_n":3,"predicted_ms":61.2}}`)
	})
	st, err = forward(p, false, []byte(`{"messages":[{"role":"user","content":"fix it"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if chunks, err = drain(t, st); err != nil || chunks[0].Usage == nil || *chunks[0].Usage != want {
		t.Errorf("whole answer: %+v %v", chunks, err)
	}
}

func TestWholeAnswer(t *testing.T) {
	p, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"length"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}`)
	})
	st, err := forward(p, false, []byte(`{"model":"m","messages":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	chunks, err := drain(t, st)
	if err != nil || len(chunks) != 1 || chunks[0].Content != "hi" || chunks[0].FinishReason != chat.FinishLength || chunks[0].Usage.CompletionTokens != 1 {
		t.Errorf("%+v %v", chunks, err)
	}
}

func TestCutStreamIsAnError(t *testing.T) {
	p, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"par\"}}]}\n\n")
	})
	st, err := forward(p, true, []byte(`{"messages":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	chunks, err := drain(t, st)
	if err == nil || len(chunks) != 1 {
		t.Errorf("chunks %+v err %v", chunks, err)
	}
}

func TestErrorsClassifiedWithoutKey(t *testing.T) {
	cases := []struct {
		status int
		body   string
		kind   providers.ErrorKind
	}{
		{400, `{"error":{"message":"the request exceeds the available context size, try increasing it"}}`, providers.KindContextLength},
		{400, `{"error":{"message":"unknown field foo"}}`, providers.KindRequest},
		{400, `{"error":{"message":"This model's maximum context length is 8192 tokens"}}`, providers.KindContextLength},
		{401, `{"error":{"message":"bad key key-ZZZ-distinct"}}`, providers.KindAuth},
		{429, `{"error":{"message":"slow down"}}`, providers.KindRateLimited},
		{503, `{"error":"loading model"}`, providers.KindServer},
	}
	for _, c := range cases {
		p, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(c.status)
			io.WriteString(w, c.body)
		})
		_, err := forward(p, false, []byte(`{"messages":[]}`))
		pe, ok := providers.AsError(err)
		if !ok || pe.Kind != c.kind || pe.Status != c.status {
			t.Errorf("%d: %v", c.status, err)
		}
		if strings.Contains(err.Error(), "key-ZZZ-distinct") {
			t.Errorf("key in error: %v", err)
		}
	}
}

func TestOtherDialectsAreEncoded(t *testing.T) {
	p, got := server(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}]}`)
	})
	req := &chat.Request{
		Stream:      true,
		Temperature: new(0.0),
		MaxTokens:   64,
		Messages: []chat.Message{
			{Role: chat.RoleSystem, Content: []chat.Part{{Type: chat.PartText, Text: "be brief"}}},
			{Role: chat.RoleUser, Content: []chat.Part{{Type: chat.PartText, Text: "what is "}, {Type: chat.PartImage, ImageURL: "data:image/png;base64,AAAA"}}},
			{Role: chat.RoleAssistant, ToolCalls: []chat.ToolCall{{ID: "call_1", Name: "read", Arguments: `{"path":"a.go"}`}}},
			{Role: chat.RoleTool, ToolCallID: "call_1", Content: []chat.Part{{Type: chat.PartText, Text: "package a"}}},
		},
		Tools:      []chat.Tool{{Name: "read", Parameters: json.RawMessage(`{"type":"object"}`)}},
		ToolChoice: &chat.ToolChoice{Mode: "function", Name: "read"},
	}
	if _, ok, _ := p.Forward(context.Background(), req, providers.Origin{Dialect: "anthropic", Body: []byte(`{}`)}); ok {
		t.Fatal("Forward took an anthropic request")
	}
	st, err := p.Chat(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := drain(t, st); err != nil {
		t.Fatal(err)
	}
	m := (*got)[0]
	want := map[string]string{
		"model":                 `"qwen-local"`,
		"temperature":           `0`,
		"max_completion_tokens": `64`,
		"stream":                `true`,
		"stream_options":        `{"include_usage":true}`,
		"tool_choice":           `{"type":"function","function":{"name":"read"}}`,
		"tools":                 `[{"type":"function","function":{"name":"read","parameters":{"type":"object"}}}]`,
		"messages": `[{"role":"system","content":"be brief"},` +
			`{"role":"user","content":[{"type":"text","text":"what is "},{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]},` +
			`{"role":"assistant","tool_calls":[{"id":"call_1","type":"function","function":{"name":"read","arguments":"{\"path\":\"a.go\"}"}}]},` +
			`{"role":"tool","content":"package a","tool_call_id":"call_1"}]`,
	}
	for k, v := range want {
		var g, w any
		json.Unmarshal(m[k], &g)
		json.Unmarshal([]byte(v), &w)
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s = %s, want %s", k, m[k], v)
		}
	}
}

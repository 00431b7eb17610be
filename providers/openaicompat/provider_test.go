package openaicompat

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

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
	st, err := p.Chat(context.Background(), &chat.Request{Stream: true, Raw: raw})
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

func TestWholeAnswer(t *testing.T) {
	p, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"length"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}`)
	})
	st, err := p.Chat(context.Background(), &chat.Request{Raw: []byte(`{"model":"m","messages":[]}`)})
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
	st, err := p.Chat(context.Background(), &chat.Request{Stream: true, Raw: []byte(`{"messages":[]}`)})
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
		_, err := p.Chat(context.Background(), &chat.Request{Raw: []byte(`{"messages":[]}`)})
		pe, ok := providers.AsError(err)
		if !ok || pe.Kind != c.kind || pe.Status != c.status {
			t.Errorf("%d: %v", c.status, err)
		}
		if strings.Contains(err.Error(), "key-ZZZ-distinct") {
			t.Errorf("key in error: %v", err)
		}
	}
}

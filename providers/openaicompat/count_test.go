package openaicompat

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/providers/openaicompat/openaifake"
	"github.com/switchyard/switchyard/providers/retry"
)

// TestCountPrompt counts a conversation with tools through fakes in vLLM's
// and llama.cpp's shapes: the count is the one the engine then reports in
// the chat's usage, it is asked once per conversation, and an engine that
// offers no tokenizer is not asked again at every job.
func TestCountPrompt(t *testing.T) {
	text := "read main.go and fix the failing test"
	req := &chat.Request{Messages: []chat.Message{
		{Role: chat.RoleSystem, Content: []chat.Part{{Type: chat.PartText, Text: "You are a coding agent."}}},
		{Role: chat.RoleUser, Content: []chat.Part{{Type: chat.PartText, Text: strings.Repeat(text+"; ", 50)}}},
	}, Tools: []chat.Tool{{Name: "read", Description: "read a file", Parameters: []byte(`{"type":"object","properties":{"path":{"type":"string"}}}`)}}}
	for _, tc := range []struct {
		name string
		fake *openaifake.Server
		// paths the count asks, in order
		paths string
	}{
		{"vllm", openaifake.New("qwen3-coder").VLLM(131072).BytesPerToken(3), "/tokenize"},
		{"llama.cpp", openaifake.New("qwen3-coder").LlamaCpp(65536, 262144).BytesPerToken(3), "/tokenize /apply-template /tokenize"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var asked []string
			var mu atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/v1/chat/completions" {
					mu.Add(1)
					asked = append(asked, r.URL.Path)
				}
				tc.fake.ServeHTTP(w, r)
			}))
			defer srv.Close()
			p := New(Options{BaseURL: srv.URL + "/v1", Model: "qwen3-coder", HTTPClient: retry.NewClient(retry.Options{Max: -1})})
			c := NewCounter(p)
			n, err := c.CountPrompt(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			// What the engine reports for the same prompt.
			st, err := p.Chat(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			var reported int
			for {
				ch, err := st.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if ch.Usage != nil {
					reported = ch.Usage.PromptTokens
				}
			}
			if n != reported || n < 600 {
				t.Fatalf("counted %d tokens, the engine reports %d", n, reported)
			}
			before := mu.Load()
			if again, err := c.CountPrompt(context.Background(), req); err != nil || again != n || mu.Load() != before {
				t.Fatalf("counted again %d, %v, with %d more requests", again, err, mu.Load()-before)
			}
			if tc.name == "llama.cpp" && (len(asked) != 3 || asked[1] != "/apply-template") {
				t.Errorf("asked %v", asked)
			}
			if tc.name == "vllm" && len(asked) != 1 {
				t.Errorf("asked %v", asked)
			}
		})
	}
	t.Run("neither", func(t *testing.T) {
		var n atomic.Int32
		fake := openaifake.New("qwen3-coder")
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { n.Add(1); fake.ServeHTTP(w, r) }))
		defer srv.Close()
		c := NewCounter(New(Options{BaseURL: srv.URL + "/v1", Model: "m", HTTPClient: retry.NewClient(retry.Options{Max: -1})}))
		if _, err := c.CountPrompt(context.Background(), req); !errors.Is(err, errNoCount) {
			t.Fatalf("err %v", err)
		}
		asked := n.Load()
		if _, err := c.CountPrompt(context.Background(), req); !errors.Is(err, errNoCount) || n.Load() != asked {
			t.Fatalf("asked again (%d requests), err %v", n.Load()-asked, err)
		}
	})
	t.Run("silent", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		defer srv.Close()
		defer close(release)
		c := NewCounter(New(Options{BaseURL: srv.URL + "/v1", Model: "m", HTTPClient: retry.NewClient(retry.Options{Max: -1})}))
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		if _, err := c.CountPrompt(ctx, req); err == nil || ctx.Err() == nil {
			t.Fatalf("an engine that does not answer counted: %v", err)
		}
	})
}

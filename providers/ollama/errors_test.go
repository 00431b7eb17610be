package ollama

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/providers"
	"github.com/switchyard/switchyard/providers/ollama/ollamafake"
)

func TestErrorClassification(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		message  string
		wantKind providers.ErrorKind
	}{
		{"runner-context-length", 400, "the input length exceeds the context length", providers.KindContextLength},
		{"llama-server-context-size", 400, "the request exceeds the available context size, try increasing it", providers.KindContextLength},
		{"no-context-shift", 400, "the prompt is longer than the context length currently available to the model; shorten the prompt, adjust the context length in settings, or use a model with a longer context length", providers.KindContextLength},
		{"context-length-as-500", 500, "exceed_context_size_error: request (300000 tokens) exceeds the available context size (262144 tokens)", providers.KindContextLength},
		{"no-thinking", 400, `"qwen3-coder:30b" does not support thinking`, providers.KindRequest},
		{"bad-request", 400, "invalid message format", providers.KindRequest},
		{"not-found", 404, "model 'qwen3-coder:30b' not found", providers.KindUnavailable},
		{"unauthorized", 401, "unauthorized", providers.KindAuth},
		{"rate-limited", 429, "too many requests", providers.KindRateLimited},
		{"busy", 503, "server busy, please try again.  maximum pending requests exceeded", providers.KindServer},
		{"crash", 500, "llama runner process has terminated: signal: killed", providers.KindServer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, Options{}, ollamafake.Options{})
			e.fake.Enqueue(ollamafake.Reply{Status: tt.status, Error: tt.message})
			_, err := e.p.Chat(t.Context(), &chat.Request{Messages: []chat.Message{userText("x")}})
			if err == nil {
				t.Fatal("no error")
			}
			pe, _ := providers.AsError(err)
			if kindOf(t, err) != tt.wantKind || pe.Status != tt.status || !strings.Contains(pe.Message, tt.message) || pe.Provider != "local" {
				t.Errorf("error %+v, want kind %v status %d message %q", pe, tt.wantKind, tt.status, tt.message)
			}
		})
	}
}

// TestContextLengthFromFake: a prompt longer than the configured window is
// refused by the fake because truncate is false, and classified.
func TestContextLengthFromFake(t *testing.T) {
	e := newEnv(t, Options{ContextWindow: 4096}, ollamafake.Options{})
	_, err := e.p.Chat(t.Context(), &chat.Request{Messages: []chat.Message{userText(strings.Repeat("abcd", 5000))}})
	if err == nil || kindOf(t, err) != providers.KindContextLength {
		t.Fatalf("error %v", err)
	}
}

func TestNonOllamaAnswers(t *testing.T) {
	tests := []struct {
		name     string
		handler  http.HandlerFunc
		wantKind providers.ErrorKind
	}{
		{"html-page", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<html>hello</html>"))
		}, providers.KindProtocol},
		{"plain-text-error", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "bad gateway", http.StatusBadGateway)
		}, providers.KindServer},
		{"retry-after", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "7")
			http.Error(w, `{"error":"slow down"}`, http.StatusTooManyRequests)
		}, providers.KindRateLimited},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := httptest.NewServer(tt.handler)
			tr := NewTransport()
			defer func() { ts.Close(); tr.CloseIdleConnections() }()
			p := New(Options{Name: "local", BaseURL: ts.URL, Model: "m", ContextWindow: 8192, HTTPClient: &http.Client{Transport: tr}})
			// Seed the ModelInfo directly: this server has no /api/show.
			p.store(ModelInfo{Model: "m", NumCtx: 8192})
			_, err := p.Chat(t.Context(), &chat.Request{Messages: []chat.Message{userText("x")}})
			if err == nil || kindOf(t, err) != tt.wantKind {
				t.Fatalf("error %v, want kind %v", err, tt.wantKind)
			}
			if pe, _ := providers.AsError(err); tt.name == "retry-after" && (pe.RetryAfter != 7*time.Second || !strings.Contains(pe.Message, "slow down")) {
				t.Errorf("error %+v", pe)
			}
		})
	}
}

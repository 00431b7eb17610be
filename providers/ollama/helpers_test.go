package ollama

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/providers"
	"github.com/switchyard/switchyard/providers/ollama/ollamafake"
	"github.com/switchyard/switchyard/providers/providertest"
)

// testMain runs the tests; the integration tests, which start real Ollama
// servers, set it to realollama.Main.
var testMain = func(m *testing.M) { goleak.VerifyTestMain(m, providertest.LeakOptions...) }

func TestMain(m *testing.M) {
	testMain(m)
}

// env is a fake Ollama and a Provider pointed at it.
type env struct {
	fake *ollamafake.Server
	ts   *httptest.Server
	p    *Provider
	logs *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newEnv starts a fake and a Provider for qwen3-coder:30b. Cleanup closes
// the server and the client's idle connections, so that goleak sees no
// goroutine left.
func newEnv(t testing.TB, o Options, fo ollamafake.Options) *env {
	t.Helper()
	fake := ollamafake.New(fo)
	ts := httptest.NewServer(fake)
	tr := NewTransport()
	logs := &syncBuffer{}
	if o.Model == "" {
		o.Model = "qwen3-coder:30b"
	}
	o.Name = "local"
	o.BaseURL = ts.URL
	o.HTTPClient = &http.Client{Transport: tr}
	o.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	t.Cleanup(func() {
		ts.Close()
		tr.CloseIdleConnections()
	})
	return &env{fake: fake, ts: ts, p: New(o), logs: logs}
}

// collect reads a stream to its end.
func collect(s providers.Stream) ([]chat.Chunk, error) {
	defer s.Close()
	var out []chat.Chunk
	for {
		c, err := s.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, c)
	}
}

// chat sends req and collects the answer.
func (e *env) chat(t testing.TB, req *chat.Request) ([]chat.Chunk, error) {
	t.Helper()
	s, err := e.p.Chat(context.Background(), req)
	if err != nil {
		return nil, err
	}
	return collect(s)
}

func userText(text string) chat.Message {
	return chat.Message{Role: chat.RoleUser, Content: []chat.Part{{Type: chat.PartText, Text: text}}}
}

func kindOf(t testing.TB, err error) providers.ErrorKind {
	t.Helper()
	pe, ok := providers.AsError(err)
	if !ok {
		t.Fatalf("error %v (%T) is not a *providers.Error", err, err)
	}
	return pe.Kind
}

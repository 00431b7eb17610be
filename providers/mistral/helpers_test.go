package mistral

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/providers"
	"github.com/switchyard/switchyard/providers/mistral/mistralfake"
	"github.com/switchyard/switchyard/providers/providertest"
	"github.com/switchyard/switchyard/providers/retry"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, providertest.LeakOptions...)
}

// testKey is distinctive so that any error carrying it is found.
const testKey = "sk-SWITCHYARD-SECRET-7f3a9c"

// newFake starts a fake that accepts testKey and stops it with the test.
func newFake(t *testing.T, o mistralfake.Options) *mistralfake.Server {
	t.Helper()
	o.APIKey = testKey
	s := mistralfake.Start(o)
	t.Cleanup(s.Close)
	return s
}

// newProvider returns a Provider talking to baseURL through the retrying
// client with short waits, whose idle connections close with the test.
func newProvider(t *testing.T, baseURL string, ro retry.Options) *Provider {
	t.Helper()
	tr := retry.NewTransport(time.Second)
	t.Cleanup(tr.CloseIdleConnections)
	ro.Transport = tr
	if ro.WaitMin == 0 {
		ro.WaitMin = time.Millisecond
	}
	if ro.WaitMax == 0 {
		ro.WaitMax = 5 * time.Millisecond
	}
	return New(Options{Name: "devstral", BaseURL: baseURL, Model: "devstral-latest", APIKey: testKey, HTTPClient: retry.NewClient(ro)})
}

// answer is a whole answer assembled from a stream.
type answer struct {
	text, reasoning string
	calls           []chat.ToolCall // by client index
	finish          chat.FinishReason
	usage           *chat.Usage
	chunks          int
}

// collect reads s to its end. It fails the test on a chunk after the finish
// reason or a tool-call fragment that breaks the providers.Stream contract.
func collect(t *testing.T, s providers.Stream) (answer, error) {
	t.Helper()
	defer s.Close()
	var a answer
	for {
		c, err := s.Next()
		if errors.Is(err, io.EOF) {
			if a.finish == "" {
				t.Fatal("io.EOF before a finish reason")
			}
			return a, nil
		}
		if err != nil {
			return a, err
		}
		if a.finish != "" {
			t.Fatalf("chunk after the finish reason: %+v", c)
		}
		a.chunks++
		a.text += c.Content
		a.reasoning += c.Reasoning
		for _, d := range c.ToolCalls {
			switch {
			case d.Index == len(a.calls):
				if d.ID == "" || d.Name == "" {
					t.Fatalf("first fragment of call %d lacks id or name: %+v", d.Index, d)
				}
				a.calls = append(a.calls, chat.ToolCall{ID: d.ID, Name: d.Name})
			case d.Index < len(a.calls):
				if d.ID != "" {
					t.Fatalf("later fragment of call %d carries an id: %+v", d.Index, d)
				}
			default:
				t.Fatalf("tool call index %d skips ahead of %d calls", d.Index, len(a.calls))
			}
			a.calls[d.Index].Arguments += d.Arguments
		}
		a.finish = c.FinishReason
		a.usage = c.Usage
	}
}

func userRequest(text string) *chat.Request {
	return &chat.Request{Model: "auto", Messages: []chat.Message{
		{Role: chat.RoleUser, Content: []chat.Part{{Type: chat.PartText, Text: text}}},
	}}
}

func sendChat(t *testing.T, p *Provider, req *chat.Request) (answer, error) {
	t.Helper()
	s, err := p.Chat(context.Background(), req)
	if err != nil {
		return answer{}, err
	}
	return collect(t, s)
}

// servedRaw serves body as Mistral's answer to every chat request.
func servedRaw(t *testing.T, status int, header http.Header, body string) string {
	t.Helper()
	srv := newRawServer(status, header, body)
	t.Cleanup(srv.Close)
	return srv.URL + "/v1"
}

func newRawServer(status int, header http.Header, body string) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
}

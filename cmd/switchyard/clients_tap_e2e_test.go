//go:build e2e

package main

// A recording proxy between the clients and switchyard.

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// exchange is one request through the tap, with the answer's switchyard
// headers and how many SSE comment lines the answer carried.
type exchange struct {
	path       string
	body       []byte
	status     int
	header     http.Header
	keepAlives int
	answer     []byte
	// start is when the request reached the tap, took how long until the
	// answer's end: for the report on how the agents spend their time.
	start time.Time
	took  time.Duration
}

// tap is a transparent recorder between a client and switchyard, as a
// packet capture would be: clients are configured with switchyard's base
// URL and reach it through this, so the test sees exactly the headers and
// bytes they received.
type tap struct {
	srv      *httptest.Server
	mu       sync.Mutex
	log      []exchange
	inflight sync.WaitGroup
}

func newTap(t *testing.T, target string) *tap {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	tp := &tap{}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(u); pr.Out.Host = u.Host },
		// Flush every write: the keep-alive comments must reach the client
		// when switchyard sends them, not when the answer ends.
		FlushInterval: -1,
		ModifyResponse: func(resp *http.Response) error {
			ex := resp.Request.Context().Value(tapKey{}).(*exchange)
			ex.status, ex.header = resp.StatusCode, resp.Header.Clone()
			resp.Body = &tapBody{ReadCloser: resp.Body, ex: ex, tap: tp}
			return nil
		},
	}
	tp.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Read the body whole first (golang/go#40747: a streamed inbound body
		// can cut the answer); the copy is also the record.
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		ex := &exchange{path: r.URL.Path, body: body, start: time.Now()}
		tp.inflight.Add(1)
		defer tp.inflight.Done()
		rp.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), tapKey{}, ex)))
	}))
	t.Cleanup(tp.srv.Close)
	return tp
}

type tapKey struct{}

// tapBody keeps the answer as the client reads it, and files the exchange
// when the proxy closes it.
type tapBody struct {
	io.ReadCloser
	ex   *exchange
	tap  *tap
	buf  bytes.Buffer
	once sync.Once
}

func (b *tapBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.buf.Write(p[:n])
	return n, err
}

func (b *tapBody) Close() error {
	b.once.Do(func() {
		b.ex.answer = b.buf.Bytes()
		b.ex.took = time.Since(b.ex.start)
		sc := bufio.NewScanner(bytes.NewReader(b.ex.answer))
		sc.Buffer(nil, 1<<24)
		inProgress, blanks := 0, 0
		prev := ""
		for sc.Scan() {
			// An SSE comment (chat completions), Anthropic's ping, or
			// Responses' in_progress after the first (an event, which
			// Codex's idle timer counts).
			if strings.HasPrefix(sc.Text(), ":") || sc.Text() == "event: ping" {
				b.ex.keepAlives++
			}
			// Gemini's, a blank line pair ("\n\n") where no event ends:
			// two empty lines after an empty one or the stream's start.
			if strings.HasPrefix(b.ex.path, "/v1beta/") && sc.Text() == "" && prev == "" {
				if blanks++; blanks%2 == 0 {
					b.ex.keepAlives++
				}
			}
			prev = sc.Text()
			if sc.Text() == "event: response.in_progress" {
				if inProgress++; inProgress > 1 {
					b.ex.keepAlives++
				}
			}
		}
		b.tap.mu.Lock()
		b.tap.log = append(b.tap.log, *b.ex)
		b.tap.mu.Unlock()
	})
	return b.ReadCloser.Close()
}

// exchanges returns what went through once nothing is in flight: a client
// may exit on the last byte, before the proxy has filed the exchange.
func (tp *tap) exchanges(t *testing.T) []exchange {
	t.Helper()
	done := make(chan struct{})
	go func() { tp.inflight.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the tap still has requests in flight 30s after the client finished")
	}
	tp.mu.Lock()
	defer tp.mu.Unlock()
	out := slices.Clone(tp.log)
	tp.log = nil
	return out
}

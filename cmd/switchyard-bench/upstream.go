package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchyard/switchyard/providers/ollama/ollamafake"
)

// fakeOllama is the fake Ollama (ollamafake, which answers in Ollama's real
// wire format and enforces its rules) served on loopback, with two things
// around it that a long benchmark needs:
//
//   - the fake records every request it gets, so it is replaced by a fresh
//     one every rotateEvery requests to keep the benchmark's own memory
//     bounded (requests in flight finish on the old one);
//   - what the fake streamed for a tagged request is kept, for the
//     stream-cut check to compare with what the client received.
type fakeOllama struct {
	URL   string
	opts  ollamafake.Options
	srv   *http.Server
	cur   atomic.Pointer[ollamafake.Server]
	count atomic.Int64
	// sent holds, by tag, the content the fake streamed for that request;
	// nil when not recording.
	sent atomic.Pointer[sync.Map]
	// before, when set, sees each /api/chat request first and may answer it
	// itself (the soak's injected failures); true means it did.
	before interceptor
}

// interceptor sees a /api/chat request and its body before the fake, and
// answers it itself when it returns true.
type interceptor = func(w http.ResponseWriter, r *http.Request, body []byte) bool

// rotateEvery bounds how many requests one fake records.
const rotateEvery = 2000

// startFakeOllama serves a fake with options o; before may be nil.
func startFakeOllama(o ollamafake.Options, before interceptor) (*fakeOllama, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	f := &fakeOllama{URL: "http://" + ln.Addr().String(), opts: o, before: before}
	f.cur.Store(ollamafake.New(o))
	f.srv = &http.Server{Handler: f, ReadHeaderTimeout: 10 * time.Second}
	go f.srv.Serve(ln)
	return f, nil
}

func (f *fakeOllama) Close() { f.srv.Close() }

// dropIdle closes the idle connections switchyard keeps to the fake (and
// keeps closing them until keepIdle), so that its goroutine count can be
// read without its connection pool in it.
func (f *fakeOllama) dropIdle() { f.srv.SetKeepAlivesEnabled(false) }
func (f *fakeOllama) keepIdle() { f.srv.SetKeepAlivesEnabled(true) }

// fake returns the current fake, replacing it when it has recorded enough.
func (f *fakeOllama) fake() *ollamafake.Server {
	if f.count.Add(1)%rotateEvery == 0 {
		f.cur.Store(ollamafake.New(f.opts))
	}
	return f.cur.Load()
}

// lastChat returns the body of the newest /api/chat request the current
// fake received.
func (f *fakeOllama) lastChat() ([]byte, bool) {
	reqs := f.cur.Load().Requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].Path == "/api/chat" {
			return reqs[i].Raw, true
		}
	}
	return nil, false
}

func (f *fakeOllama) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fake := f.fake()
	sent := f.sent.Load()
	if r.URL.Path != "/api/chat" || (sent == nil && f.before == nil) {
		fake.ServeHTTP(w, r)
		return
	}
	// Both extras need the request's tag: read the body and hand the fake
	// the same bytes.
	var body bytes.Buffer
	if _, err := body.ReadFrom(r.Body); err != nil {
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	r.Body = readCloser{bytes.NewReader(body.Bytes())}
	if f.before != nil && f.before(w, r, body.Bytes()) {
		return
	}
	if tag := chatTag(body.Bytes()); sent != nil && tag != "" {
		w = &teeWriter{ResponseWriter: w, tag: tag, sent: sent}
	}
	fake.ServeHTTP(w, r)
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

// chatTag is the tag a benchmark request carries: its last message starts
// with "#tag ".
func chatTag(body []byte) string {
	var req struct {
		Messages []struct {
			Content string `json:"content"`
		} `json:"messages"`
	}
	if json.Unmarshal(body, &req) != nil || len(req.Messages) == 0 {
		return ""
	}
	return tagOf(req.Messages[len(req.Messages)-1].Content)
}

func tagOf(s string) string {
	rest, ok := strings.CutPrefix(s, "#")
	if !ok {
		return ""
	}
	tag, _, _ := strings.Cut(rest, " ")
	return tag
}

// teeWriter reads the NDJSON the fake writes and, when the final line
// (done: true) goes out, records the content streamed before it. It records
// before passing the line on, so a client that has the whole answer always
// finds the record.
type teeWriter struct {
	http.ResponseWriter
	tag     string
	sent    *sync.Map
	partial []byte
	content strings.Builder
}

func (t *teeWriter) Write(p []byte) (int, error) {
	t.partial = append(t.partial, p...)
	for {
		i := bytes.IndexByte(t.partial, '\n')
		if i < 0 {
			break
		}
		var line struct {
			Message *struct {
				Content string `json:"content"`
			} `json:"message"`
			Done bool `json:"done"`
		}
		if json.Unmarshal(t.partial[:i], &line) == nil {
			if line.Message != nil {
				t.content.WriteString(line.Message.Content)
			}
			if line.Done {
				t.sent.Store(t.tag, t.content.String())
			}
		}
		t.partial = t.partial[i+1:]
	}
	return t.ResponseWriter.Write(p)
}

func (t *teeWriter) Flush() {
	if f, ok := t.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (t *teeWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }

var errNoChat = errors.New("the fake received no /api/chat request")

// benchModel is qwen3-coder:30b as the seed machine has it, with a native
// window of 1M tokens (Qwen3-Coder's extended context), so that a 1 MiB
// request (about 300K tokens) is served rather than refused.
func benchModel() ollamafake.Model {
	m := ollamafake.Qwen3Coder30B()
	m.NativeContext = 1 << 20
	return m
}

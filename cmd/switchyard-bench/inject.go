package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchyard/switchyard/providers/gemini/geminifake"
	"github.com/switchyard/switchyard/providers/mistral/mistralfake"
	"github.com/switchyard/switchyard/providers/ollama/ollamafake"
)

// A soak request names the failures to inject in its last message, as
// "provider=failure" words after its tag: "#s000042 local=503
// devstral=429". Each fake's front reads its own provider's word from the
// body it receives (the adapters pass message text through unchanged), so
// requests in flight together each get their own failure, whatever order
// they arrive in.

var tagPattern = regexp.MustCompile(`#(s\d+)`)

// directive is the failure a body asks provider for, "" for none.
func directive(body []byte, provider string) string {
	i := bytes.Index(body, []byte(" "+provider+"="))
	if i < 0 {
		return ""
	}
	rest := body[i+len(provider)+2:]
	end := bytes.IndexAny(rest, " \"\\")
	if end < 0 {
		end = len(rest)
	}
	return string(rest[:end])
}

// injections counts the failures the fronts injected, by "provider=failure".
type injections struct{ m sync.Map }

func (in *injections) add(key string) {
	v, _ := in.m.LoadOrStore(key, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
}

func (in *injections) counts() map[string]int64 {
	out := map[string]int64{}
	in.m.Range(func(k, v any) bool { out[k.(string)] = v.(*atomic.Int64).Load(); return true })
	return out
}

// ollamaFailures answers a local request whose body asks for a failure:
//
//	503     Ollama's answer when its queue is full (server/routes.go
//	        handleScheduleError: ErrMaxQueue → 503 "server busy, please try
//	        again.  maximum pending requests exceeded")
//	silent  no byte until switchyard gives up (first_byte_timeout); Ollama
//	        sends its headers only with the first chunk, after the prefill
//	slow    a prefill that takes slowPrefill, within first_byte_timeout
//	cut     a few chunks, then the connection drops without the final line
//
// slow and cut are answered by fakes of their own with the scripted reply
// queued for each request (the queue is per fake, and its replies alike,
// so concurrent requests cannot take each other's).
type ollamaFailures struct {
	slow, cut *ollamafake.Server
	in        *injections
}

const (
	slowPrefill = 1500 * time.Millisecond
	slowText    = "slow, but complete."
	// silentCap bounds how long a silent upstream holds a request if
	// switchyard never gives up, so the soak cannot hang.
	silentCap = 60 * time.Second
)

func newOllamaFailures(o ollamafake.Options, in *injections) *ollamaFailures {
	return &ollamaFailures{slow: ollamafake.New(o), cut: ollamafake.New(o), in: in}
}

func (f *ollamaFailures) intercept(w http.ResponseWriter, r *http.Request, body []byte) bool {
	d := directive(body, "local")
	if d == "" {
		return false
	}
	f.in.add("local=" + d)
	switch d {
	case "503":
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, `{"error":"server busy, please try again.  maximum pending requests exceeded"}`)
	case "silent":
		select {
		case <-r.Context().Done():
		case <-time.After(silentCap):
		}
	case "slow":
		f.slow.Enqueue(ollamafake.Reply{FirstChunkDelay: slowPrefill, Steps: []ollamafake.Step{{Content: "slow, "}, {Content: "but "}, {Content: "complete."}}})
		f.slow.ServeHTTP(w, r)
	case "cut":
		f.cut.Enqueue(ollamafake.Reply{Steps: []ollamafake.Step{{Content: "this answer "}, {Content: "is cut "}, {Cut: true}}})
		f.cut.ServeHTTP(w, r)
	default:
		return false
	}
	return true
}

// cloudFront stands before a cloud fake: it forwards each request to the
// fake instance that answers the failure the request asks for (one
// instance per failure, each scripted to answer every request with it),
// or to the healthy instance. "429once" is rate-limited on the first
// attempt of a request and healthy on its retries.
type cloudFront struct {
	provider string
	healthy  *url.URL
	failing  map[string]*url.URL
	in       *injections
	seen     sync.Map // tag → attempts, for 429once
	srv      *http.Server
	URL      string
	proxy    *httputil.ReverseProxy
}

func startCloudFront(provider string, healthy string, failing map[string]string, in *injections) (*cloudFront, error) {
	f := &cloudFront{provider: provider, failing: map[string]*url.URL{}, in: in}
	var err error
	if f.healthy, err = url.Parse(healthy); err != nil {
		return nil, err
	}
	for k, v := range failing {
		if f.failing[k], err = url.Parse(v); err != nil {
			return nil, err
		}
	}
	f.proxy = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			to := pr.In.Context().Value(frontTarget{}).(*url.URL)
			pr.Out.URL.Scheme, pr.Out.URL.Host = to.Scheme, to.Host
			pr.Out.Host = to.Host
		},
		Transport:     &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 64},
		FlushInterval: -1,
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	f.URL = "http://" + ln.Addr().String()
	f.srv = &http.Server{Handler: f, ReadHeaderTimeout: 10 * time.Second}
	go f.srv.Serve(ln)
	return f, nil
}

type frontTarget struct{}

func (f *cloudFront) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	to := f.healthy
	if d := directive(body, f.provider); d != "" {
		if d == "429once" {
			tag := ""
			if m := tagPattern.FindSubmatch(body); m != nil {
				tag = string(m[1])
			}
			n, _ := f.seen.LoadOrStore(tag, new(atomic.Int64))
			if n.(*atomic.Int64).Add(1) == 1 {
				d = "429"
			} else {
				d = ""
			}
		}
		if u, ok := f.failing[d]; ok {
			f.in.add(f.provider + "=" + d)
			to = u
		}
	}
	f.proxy.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), frontTarget{}, to)))
}

func (f *cloudFront) Close()    { f.srv.Close() }
func (f *cloudFront) dropIdle() { f.srv.SetKeepAlivesEnabled(false) }
func (f *cloudFront) keepIdle() { f.srv.SetKeepAlivesEnabled(true) }

// mistralFakes are a healthy Mistral fake and one answering every request
// with 429 (Retry-After: 1, the recorded body) or 503.
func mistralFakes() (healthy *mistralfake.Server, failing map[string]*mistralfake.Server) {
	healthy = mistralfake.Start(mistralfake.Options{})
	failing = map[string]*mistralfake.Server{"429": mistralfake.Start(mistralfake.Options{}), "503": mistralfake.Start(mistralfake.Options{})}
	failing["429"].Enqueue(mistralfake.Reply{Status: http.StatusTooManyRequests, RetryAfter: "1", Times: 1 << 30})
	failing["503"].Enqueue(mistralfake.Reply{Status: http.StatusServiceUnavailable, Times: 1 << 30})
	return healthy, failing
}

// geminiFakes are the same for Gemini: Google's real 429 and 503 texts.
func geminiFakes() (healthy *geminifake.Server, failing map[string]*geminifake.Server) {
	healthy = geminifake.New(geminifake.Options{})
	failing = map[string]*geminifake.Server{"429": geminifake.New(geminifake.Options{}), "503": geminifake.New(geminifake.Options{})}
	failing["429"].Enqueue(geminifake.Reply{Status: http.StatusTooManyRequests, RetryAfter: "1", Times: 1 << 30})
	failing["503"].Enqueue(geminifake.Reply{Status: http.StatusServiceUnavailable, Times: 1 << 30})
	return healthy, failing
}

package retry

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// server answers with the given statuses in turn, then 200.
func server(t *testing.T, statuses []int, header http.Header, body string) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if string(b) != "payload" {
			t.Errorf("attempt %d got body %q", n.Load()+1, b)
		}
		i := int(n.Add(1)) - 1
		if i < len(statuses) {
			for k, v := range header {
				w.Header()[k] = v
			}
			w.WriteHeader(statuses[i])
			io.WriteString(w, body)
			return
		}
		io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func do(t *testing.T, c *http.Client, url string, ctx context.Context) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "POST", url, strings.NewReader("payload"))
	resp, err := c.Do(req)
	if err != nil {
		return nil, err.Error()
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

var fast = Options{Max: 3, WaitMin: time.Millisecond, WaitMax: 2 * time.Millisecond}

func TestRetries429And5xxWithTheSameBody(t *testing.T) {
	srv, n := server(t, []int{429, 503, 500}, nil, "busy")
	resp, body := do(t, NewClient(fast), srv.URL, context.Background())
	if resp == nil || resp.StatusCode != 200 || body != "ok" || n.Load() != 4 {
		t.Errorf("status %v body %q attempts %d", resp, body, n.Load())
	}
}

func TestGivesUpWithTheLastAnswer(t *testing.T) {
	srv, n := server(t, []int{429, 429, 429, 429, 429}, http.Header{"Retry-After": {"0"}}, "slow down")
	resp, body := do(t, NewClient(fast), srv.URL, context.Background())
	if resp == nil || resp.StatusCode != 429 || body != "slow down" || n.Load() != 4 {
		t.Errorf("status %v body %q attempts %d", resp, body, n.Load())
	}
	if ra, ok := RetryAfter(resp); !ok || ra != 0 {
		t.Errorf("retry-after %v %v", ra, ok)
	}
}

func TestNoRetryOn4xx(t *testing.T) {
	srv, n := server(t, []int{400}, nil, "bad")
	resp, _ := do(t, NewClient(fast), srv.URL, context.Background())
	if resp.StatusCode != 400 || n.Load() != 1 {
		t.Errorf("status %d attempts %d", resp.StatusCode, n.Load())
	}
}

func TestHonoursRetryAfterHeaderAndBody(t *testing.T) {
	srv, _ := server(t, []int{429}, http.Header{"Retry-After": {"1"}}, "")
	start := time.Now()
	do(t, NewClient(fast), srv.URL, context.Background())
	if d := time.Since(start); d < time.Second {
		t.Errorf("retried after %v, before the 1s asked for", d)
	}
	srv2, _ := server(t, []int{429}, nil, `{"wait":"0.3"}`)
	o := fast
	o.RetryAfter = func(resp *http.Response) (time.Duration, bool) {
		b, _ := io.ReadAll(resp.Body)
		resp.Body = io.NopCloser(strings.NewReader(string(b)))
		if strings.Contains(string(b), `"0.3"`) {
			return 300 * time.Millisecond, true
		}
		return 0, false
	}
	start = time.Now()
	resp, body := do(t, NewClient(o), srv2.URL, context.Background())
	if d := time.Since(start); d < 300*time.Millisecond || resp.StatusCode != 200 || body != "ok" {
		t.Errorf("body wait: %v %d %q", d, resp.StatusCode, body)
	}
}

func TestStopsWhenTheWaitOutlastsTheDeadline(t *testing.T) {
	srv, n := server(t, []int{429, 429}, http.Header{"Retry-After": {"30"}}, "")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	resp, _ := do(t, NewClient(fast), srv.URL, ctx)
	if resp == nil || resp.StatusCode != 429 || n.Load() != 1 || time.Since(start) > time.Second {
		t.Errorf("resp %v attempts %d after %v", resp, n.Load(), time.Since(start))
	}
}

func TestCancelStopsRetries(t *testing.T) {
	srv, n := server(t, []int{503, 503, 503, 503}, http.Header{"Retry-After": {"5"}}, "")
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	o := fast
	o.MaxRetryAfter = time.Minute
	_, err := do(t, NewClient(o), srv.URL, ctx)
	if time.Since(start) > 2*time.Second || n.Load() != 1 || !strings.Contains(err, "context canceled") {
		t.Errorf("attempts %d after %v: %s", n.Load(), time.Since(start), err)
	}
}

func TestRetryAfterDate(t *testing.T) {
	resp := &http.Response{Header: http.Header{"Retry-After": {time.Now().Add(2 * time.Second).UTC().Format(http.TimeFormat)}}}
	if d, ok := RetryAfter(resp); !ok || d <= 0 || d > 3*time.Second {
		t.Errorf("%v %v", d, ok)
	}
}

// TestBodyIsNotCopied: a request made from bytes is sent, and sent again
// on a retry, from those bytes: a 4 MiB body costs the client far less
// than 4 MiB of memory. (retryablehttp's own RoundTripper reads it whole
// into a buffer first; this fails with it.)
func TestBodyIsNotCopied(t *testing.T) {
	payload := strings.Repeat("x", 4<<20)
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ := io.Copy(io.Discard, r.Body)
		if got != int64(len(payload)) || r.ContentLength != int64(len(payload)) {
			t.Errorf("attempt %d: %d bytes, Content-Length %d", n.Load()+1, got, r.ContentLength)
		}
		if n.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	c := NewClient(fast)
	send := func() {
		req, _ := http.NewRequest("POST", srv.URL, strings.NewReader(payload))
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("HTTP %d", resp.StatusCode)
		}
	}
	send() // a 503, then the retry
	if n.Load() != 2 {
		t.Fatalf("%d attempts, want 2", n.Load())
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	send()
	runtime.ReadMemStats(&after)
	if a := after.TotalAlloc - before.TotalAlloc; a > 1<<20 {
		t.Errorf("a 4 MiB request allocated %d bytes", a)
	}
}

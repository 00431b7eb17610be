// Package retry builds the HTTP client cloud adapters share: connection
// errors, 429 and 5xx are retried with capped exponential backoff and full
// jitter, Retry-After is honoured, and nothing is retried past the request's
// deadline or after its context is cancelled.
//
// Retries happen inside Do, before any response reaches the caller, so they
// can never follow a byte that went to a client.
package retry

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// Options configures a Client. The zero value is usable.
type Options struct {
	// Max is how many retries follow the first attempt (default 3; -1 for none).
	Max int
	// WaitMin and WaitMax bound the backoff between attempts (defaults
	// 500ms and 8s). A Retry-After longer than WaitMax is still honoured if
	// the request's deadline allows it, up to MaxRetryAfter.
	WaitMin, WaitMax time.Duration
	// MaxRetryAfter is the longest Retry-After we wait for (default 60s);
	// a longer one ends the retries and the 429 goes to the caller.
	MaxRetryAfter time.Duration
	// DialTimeout bounds connecting (default 10s).
	DialTimeout time.Duration
	// Transport overrides the transport (tests); nil builds one.
	Transport http.RoundTripper
	// RetryAfter, when set, reads a wait the server gave somewhere other
	// than the Retry-After header (Google puts it in the 429 body's
	// RetryInfo). It may read resp.Body but must leave it readable again.
	RetryAfter func(resp *http.Response) (time.Duration, bool)
}

func (o *Options) defaults() {
	if o.Max == 0 {
		o.Max = 3
	} else if o.Max < 0 {
		o.Max = 0
	}
	if o.WaitMin <= 0 {
		o.WaitMin = 500 * time.Millisecond
	}
	if o.WaitMax <= 0 {
		o.WaitMax = 8 * time.Second
	}
	if o.MaxRetryAfter <= 0 {
		o.MaxRetryAfter = 60 * time.Second
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = 10 * time.Second
	}
}

// NewTransport returns a transport for one upstream: bounded dials and TLS
// handshakes, pooled connections, and no overall timeout (a stream may
// legitimately run for many minutes).
func NewTransport(dialTimeout time.Duration) *http.Transport {
	if dialTimeout <= 0 {
		dialTimeout = 10 * time.Second
	}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   dialTimeout,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          64,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// NewClient returns an *http.Client whose Do retries as the package says.
// The returned response is the last attempt's: after the retries give up on
// a 429 or 5xx the caller still sees that status, its body and Retry-After.
func NewClient(o Options) *http.Client {
	o.defaults()
	rt := o.Transport
	if rt == nil {
		rt = NewTransport(o.DialTimeout)
	}
	w := &waits{o: o}
	c := &retryablehttp.Client{
		HTTPClient:   &http.Client{Transport: rt},
		Logger:       nil, // the adapter logs once, without URLs or keys
		RetryWaitMin: o.WaitMin,
		RetryWaitMax: o.WaitMax,
		RetryMax:     o.Max,
		CheckRetry:   checkRetry(o, w),
		Backoff:      backoff(w),
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
	}
	return &http.Client{Transport: &roundTripper{c: c}}
}

// roundTripper is retryablehttp's RoundTripper without its copy of the
// body: handed a plain http.Request, retryablehttp reads the body whole
// into a buffer of its own, to send it again on a retry; but a request
// built from bytes (http.NewRequest with a bytes.Reader or strings.Reader,
// as every adapter does) already says how to read them again, in GetBody.
// A 1 MiB prompt is then not copied once more per request.
type roundTripper struct{ c *retryablehttp.Client }

func (t *roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	rreq, err := retryable(req)
	if err != nil {
		return nil, err
	}
	resp, err := t.c.Do(rreq)
	// The error of the http.Client inside is a *url.Error, which the
	// http.Client outside wraps again: unwrapped, as retryablehttp does.
	if ue, ok := err.(*url.Error); ok {
		return resp, ue.Err
	}
	return resp, err
}

// retryable is req for retryablehttp, its body read again from GetBody on
// each attempt. It is a shallow copy: retryablehttp sets the body of the
// request it sends, and a RoundTripper must not modify its caller's.
func retryable(req *http.Request) (*retryablehttp.Request, error) {
	if req.Body == nil || req.Body == http.NoBody || req.GetBody == nil || req.ContentLength <= 0 {
		return retryablehttp.FromRequest(req)
	}
	r := *req
	rreq := &retryablehttp.Request{Request: &r}
	if err := rreq.SetBody(retryablehttp.ReaderFunc(func() (io.Reader, error) { return req.GetBody() })); err != nil {
		return nil, err
	}
	// SetBody learns the length only from a reader that tells it; GetBody's
	// is wrapped in a NopCloser, which does not.
	rreq.ContentLength = req.ContentLength
	return rreq, nil
}

// checkRetry retries what the package says and stops early when the wait
// the backoff would choose cannot end before the request's deadline.
func checkRetry(o Options, w *waits) retryablehttp.CheckRetry {
	return func(ctx context.Context, resp *http.Response, err error) (bool, error) {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		if err != nil {
			// Context errors surface through ctx above; a malformed URL or
			// a TLS certificate problem will not get better by retrying.
			var certErr *tls.CertificateVerificationError
			if errors.As(err, &certErr) {
				return false, err
			}
			return true, nil
		}
		if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode < 500 {
			return false, nil
		}
		if resp.StatusCode == http.StatusNotImplemented {
			return false, nil
		}
		if ra, ok := w.read(resp); ok {
			if ra > o.MaxRetryAfter {
				return false, nil
			}
			if dl, has := ctx.Deadline(); has && time.Until(dl) < ra {
				return false, nil
			}
		}
		if dl, has := ctx.Deadline(); has && time.Until(dl) < o.WaitMin {
			return false, nil
		}
		return true, nil
	}
}

// backoff waits what the server asked for, else a capped exponential with
// full jitter (so many clients told "429" do not come back in step).
func backoff(w *waits) retryablehttp.Backoff {
	return func(lo, hi time.Duration, attempt int, resp *http.Response) time.Duration {
		if ra, ok := w.take(resp); ok {
			return ra
		}
		ceil := lo << uint(min(attempt, 30))
		if ceil <= 0 || ceil > hi {
			ceil = hi
		}
		return lo/2 + rand.N(ceil-lo/2+1)
	}
}

// waits carries the server's requested wait from CheckRetry, which may
// read the response body, to Backoff, which runs after retryablehttp has
// drained it. The wait rides on the response itself, in a header of ours,
// so nothing is kept when retryablehttp gives up without a Backoff.
type waits struct{ o Options }

// waitHeader is set on received responses only; it is never sent.
const waitHeader = "X-Switchyard-Retry-Wait"

// read finds the server's requested wait: the Retry-After header, else what
// Options.RetryAfter reads.
func (w *waits) read(resp *http.Response) (time.Duration, bool) {
	ra, ok := RetryAfter(resp)
	if !ok && resp != nil && w.o.RetryAfter != nil {
		if ra, ok = w.o.RetryAfter(resp); ok {
			resp.Header.Set(waitHeader, ra.String())
		}
	}
	return ra, ok
}

// take returns the wait read found for resp.
func (w *waits) take(resp *http.Response) (time.Duration, bool) {
	if resp == nil {
		return 0, false
	}
	if ra, ok := RetryAfter(resp); ok {
		return ra, true
	}
	ra, err := time.ParseDuration(resp.Header.Get(waitHeader))
	return ra, err == nil
}

// RetryAfter parses a response's Retry-After header, in seconds or as an
// HTTP date.
func RetryAfter(resp *http.Response) (time.Duration, bool) {
	if resp == nil {
		return 0, false
	}
	v := resp.Header.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := time.Until(t)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

// Package barehop is the baseline every switchyard figure is compared
// with, in go test benchmarks and in switchyard-bench alike: the cheapest
// honest proxy.
package barehop

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"
)

// New returns httputil.ReverseProxy in front of target, as switchyard
// would forward if it did nothing else: it reads the request body whole and
// builds the outbound request from the bytes (a proxy that hands the
// inbound body over lets net/http cut streams: golang/go#40747, STYLE.md),
// flushes every write, never goes through an HTTP_PROXY from the
// environment (switchyard's local transport does not either), and pools as
// many idle connections per upstream as switchyard's ollama transport (8),
// so both reuse connections alike.
func New(target *url.URL) http.Handler {
	rp := &httputil.ReverseProxy{
		Rewrite:       func(pr *httputil.ProxyRequest) { pr.SetURL(target) },
		Transport:     &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 8, IdleConnTimeout: 90 * time.Second},
		FlushInterval: -1,
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "cannot read the request body", http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		rp.ServeHTTP(w, r)
	})
}

package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// newClient is an HTTP client for one benchmark path: enough idle
// connections for the highest concurrency, no proxy, no overall timeout
// (the caller's context bounds each request).
func newClient(conc int) *http.Client {
	return &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: conc + 8, IdleConnTimeout: 30 * time.Second}}
}

// answer is one response as the client saw it.
type answer struct {
	status    int
	header    http.Header
	body      []byte
	firstByte time.Duration
	total     time.Duration
}

// post sends body to url and reads the answer whole, timing the first byte
// of the body and the end.
func post(ctx context.Context, c *http.Client, url string, body []byte, header http.Header) (*answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	a := &answer{status: resp.StatusCode, header: resp.Header}
	var one [1]byte
	n, err := io.ReadFull(resp.Body, one[:])
	a.firstByte = time.Since(start)
	if err != nil {
		if n == 0 && err == io.EOF {
			a.total = a.firstByte
			return a, nil
		}
		return a, err
	}
	rest, err := io.ReadAll(resp.Body)
	a.total = time.Since(start)
	a.body = append(one[:1:1], rest...)
	return a, err
}

// job is what a load run sends: request i's body and how to check its
// answer.
type job struct {
	url    string
	body   func(i int) []byte
	header http.Header
	check  func(i int, a *answer) error
	// failed, when set, is told of a request that could not be sent or
	// read, and the run goes on; when nil such a failure stops the run.
	failed func(i int, err error)
}

// load sends n requests with conc workers and returns each one's latency
// (to the first byte, or to the end) and the run's wall time. The first
// failed check stops the run.
func load(ctx context.Context, c *http.Client, j job, n, conc int, firstByte bool) ([]time.Duration, time.Duration, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	lat := make([]time.Duration, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range min(conc, n) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				a, err := post(ctx, c, j.url, j.body(i), j.header)
				if err != nil && j.failed != nil && ctx.Err() == nil {
					j.failed(i, err)
					continue
				}
				if err == nil && j.check != nil {
					err = j.check(i, a)
				}
				if err != nil {
					cancel(fmt.Errorf("request %d to %s: %w", i, j.url, err))
					return
				}
				lat[i] = a.total
				if firstByte {
					lat[i] = a.firstByte
				}
			}
		})
	}
	wg.Wait()
	wall := time.Since(start)
	if err := context.Cause(ctx); err != nil {
		return nil, 0, err
	}
	return lat, wall, nil
}

// percentile is the nearest-rank p-th percentile (0 < p <= 100).
func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

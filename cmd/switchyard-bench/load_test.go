package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 100; i >= 1; i-- {
		d = append(d, time.Duration(i))
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{50, 50}, {99, 99}, {100, 100}, {1, 1}} {
		if got := percentile(d, c.p); got != c.want {
			t.Errorf("p%v = %v, want %v", c.p, got, c.want)
		}
	}
	if percentile(nil, 50) != 0 {
		t.Error("empty")
	}
	if d[0] != 100 {
		t.Error("percentile sorted its argument")
	}
}

func TestLoad(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if string(b) == "fail" {
			w.WriteHeader(http.StatusBadGateway)
		}
		w.Write(b)
	}))
	defer srv.Close()
	c := newClient(8)
	defer c.CloseIdleConnections()
	check := func(i int, a *answer) error {
		if a.status != http.StatusOK || string(a.body) != fmt.Sprint(i) {
			return fmt.Errorf("request %d: HTTP %d %q", i, a.status, a.body)
		}
		return nil
	}
	lat, wall, err := load(context.Background(), c, job{url: srv.URL, body: func(i int) []byte { return []byte(fmt.Sprint(i)) }, check: check}, 100, 8, false)
	if err != nil || len(lat) != 100 || wall <= 0 {
		t.Fatalf("%d latencies, %v, %v", len(lat), wall, err)
	}
	for i, l := range lat {
		if l <= 0 {
			t.Fatalf("request %d has no latency", i)
		}
	}
	// A failed check stops the run with its error.
	_, _, err = load(context.Background(), c, job{url: srv.URL, body: func(i int) []byte {
		if i == 30 {
			return []byte("fail")
		}
		return []byte(fmt.Sprint(i))
	}, check: check}, 100, 8, false)
	if err == nil {
		t.Fatal("a failed check did not stop the run")
	}
	// With failed set, a request that cannot be sent is reported and the
	// run goes on.
	var reported []error
	_, _, err = load(context.Background(), c, job{url: "http://127.0.0.1:1", body: func(int) []byte { return nil },
		failed: func(_ int, err error) { reported = append(reported, err) }}, 3, 1, false)
	if err != nil || len(reported) != 3 || errors.Is(reported[0], context.Canceled) {
		t.Errorf("%v, reported %v", err, reported)
	}
}

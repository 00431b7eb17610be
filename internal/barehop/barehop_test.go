package barehop

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestStreams runs a real backend behind the bare hop: the backend must
// get the body whole, and the client each line as soon as it is written.
func TestStreams(t *testing.T) {
	release := make(chan struct{})
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if string(b) != strings.Repeat("x", 1<<20) || r.ContentLength != 1<<20 {
			t.Errorf("the backend got %d bytes (Content-Length %d)", len(b), r.ContentLength)
		}
		w.Header().Set("Content-Type", "application/x-ndjson")
		io.WriteString(w, "{\"first\":true}\n")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		io.WriteString(w, "{\"done\":true}\n")
	}))
	defer backend.Close()
	target, _ := url.Parse(backend.URL)
	hop := httptest.NewServer(New(target))
	defer hop.Close()
	defer hop.Client().CloseIdleConnections()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, hop.URL+"/api/chat", strings.NewReader(strings.Repeat("x", 1<<20)))
	resp, err := hop.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	// The first line arrives while the backend still holds the second:
	// the hop flushes every write.
	if line, err := br.ReadString('\n'); err != nil || line != "{\"first\":true}\n" {
		t.Fatalf("first line %q %v", line, err)
	}
	close(release)
	if rest, err := io.ReadAll(br); err != nil || string(rest) != "{\"done\":true}\n" {
		t.Errorf("rest %q %v", rest, err)
	}
}

package router

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchyard/switchyard/chat"
)

// gateCounter counts as lenCounter does, holding every request whose
// prompt is longer than hold bytes until release is closed.
type gateCounter struct {
	hold    int
	inside  atomic.Int32
	most    atomic.Int32
	release chan struct{}
}

func (c *gateCounter) CountRequest(req *chat.Request) (int, bool) {
	n, _ := lenCounter{}.CountRequest(req)
	if n*4 < c.hold {
		return n, false
	}
	in := c.inside.Add(1)
	for m := c.most.Load(); in > m && !c.most.CompareAndSwap(m, in); m = c.most.Load() {
	}
	<-c.release
	c.inside.Add(-1)
	return n, false
}

func bigChat(kib int) string {
	return fmt.Sprintf(`{"model":"local","messages":[{"role":"user","content":%q}]}`, strings.Repeat("x", kib<<10))
}

// TestLargeBodiesAreAdmittedBySize: with room for one 600 KiB body at a
// time, a second waits unread until the first is decided, a small request
// passes both, and all three are answered.
func TestLargeBodiesAreAdmittedBySize(t *testing.T) {
	c := &gateCounter{hold: 500 << 10, release: make(chan struct{})}
	g := newRig(t, func(o *Options) { o.Tokens, o.DecidingBytes = c, 1<<20 })
	done := make(chan int, 2)
	for range 2 {
		go func() {
			resp, err := http.Post(g.srv.URL+"/v1/chat/completions", "application/json", strings.NewReader(bigChat(600)))
			if err != nil {
				done <- 0
				return
			}
			resp.Body.Close()
			done <- resp.StatusCode
		}()
	}
	for c.inside.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	if resp := g.post(t, "/v1/chat/completions", `{"model":"local","messages":[{"role":"user","content":"hi"}]}`, nil); resp.StatusCode != 200 {
		t.Errorf("a small request behind a large one: %d", resp.StatusCode)
	}
	time.Sleep(50 * time.Millisecond) // time for the second to get in, if it could
	if n := c.inside.Load(); n != 1 {
		t.Errorf("%d large requests being decided at once, want 1", n)
	}
	close(c.release)
	for range 2 {
		if s := <-done; s != 200 {
			t.Errorf("a large request: %d", s)
		}
	}
	if m := c.most.Load(); m != 1 {
		t.Errorf("at most %d large requests were decided at once, want 1", m)
	}
}

// TestAdmissionEndsWithTheClient: a large request waiting to be admitted
// whose client gives up leaves, and takes nothing from the next one.
func TestAdmissionEndsWithTheClient(t *testing.T) {
	c := &gateCounter{hold: 500 << 10, release: make(chan struct{})}
	g := newRig(t, func(o *Options) { o.Tokens, o.DecidingBytes = c, 1<<20 })
	first := make(chan int, 1)
	go func() {
		resp, err := http.Post(g.srv.URL+"/v1/chat/completions", "application/json", strings.NewReader(bigChat(600)))
		if err == nil {
			resp.Body.Close()
			first <- resp.StatusCode
		}
		close(first)
	}()
	for c.inside.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", g.srv.URL+"/v1/chat/completions", strings.NewReader(bigChat(600)))
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("a waiting request was answered %d while the first held the room", resp.StatusCode)
	}
	close(c.release)
	if s := <-first; s != 200 {
		t.Errorf("the first request: %d", s)
	}
	// The room the gone client waited for is free: another large one
	// gets in at once.
	if resp := g.post(t, "/v1/chat/completions", bigChat(600), nil); resp.StatusCode != 200 {
		t.Errorf("the next large request: %d", resp.StatusCode)
	}
}

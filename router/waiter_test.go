package router

import (
	"bufio"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/providers"
)

// burstProvider answers in bursts: the chunks of a burst are ready at
// once; between bursts the stream waits on gates (and says so first, as a
// providers.Waiter).
type burstProvider struct {
	bursts [][]string
	gates  []chan struct{} // gates[i] opens burst i+1
}

func (p *burstProvider) Chat(ctx context.Context, req *chat.Request) (providers.Stream, error) {
	return &burstStream{p: p, ctx: ctx}, nil
}

type burstStream struct {
	p          *burstProvider
	ctx        context.Context
	burst, i   int
	beforeWait func()
}

func (s *burstStream) BeforeWait(f func()) { s.beforeWait = f }

func (s *burstStream) Next() (chat.Chunk, error) {
	for s.burst < len(s.p.bursts) && s.i == len(s.p.bursts[s.burst]) {
		if s.burst == len(s.p.bursts)-1 {
			s.burst++
			return chat.Chunk{FinishReason: chat.FinishStop}, nil
		}
		if s.beforeWait != nil {
			s.beforeWait()
		}
		select {
		case <-s.p.gates[s.burst]:
		case <-s.ctx.Done():
			return chat.Chunk{}, s.ctx.Err()
		}
		s.burst, s.i = s.burst+1, 0
	}
	if s.burst >= len(s.p.bursts) {
		return chat.Chunk{}, io.EOF
	}
	c := chat.Chunk{Content: s.p.bursts[s.burst][s.i]}
	s.i++
	return c, nil
}

func (s *burstStream) Close() error { return nil }

// TestWaiterStreamNeverHoldsAChunk: chunks written without a flush leave
// before the upstream is waited on, so a client sees every chunk of a
// burst while the next burst has not come; and everything arrives, in
// order.
func TestWaiterStreamNeverHoldsAChunk(t *testing.T) {
	p := &burstProvider{bursts: [][]string{{"a", "b", "c"}, {"d", "e"}, {"f"}},
		gates: []chan struct{}{make(chan struct{}), make(chan struct{})}}
	g := newRig(t, func(o *Options) { o.Upstreams[0].Provider = p })
	resp := g.post(t, "/v1/chat/completions", `{"model":"local","stream":true,"messages":[{"role":"user","content":"x"}]}`, nil)
	defer resp.Body.Close()
	events := make(chan string)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if line, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				events <- line
			}
		}
	}()
	var got strings.Builder
	read := func(until string) {
		t.Helper()
		for {
			select {
			case e, ok := <-events:
				if !ok {
					t.Fatalf("the stream ended before %q; got %s", until, got.String())
				}
				got.WriteString(e)
				if strings.Contains(e, until) {
					return
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("%q held back while the upstream waits; got %s", until, got.String())
			}
		}
	}
	read(`"content":"c"`)
	close(p.gates[0])
	read(`"content":"e"`)
	close(p.gates[1])
	read("[DONE]")
	s := got.String()
	for i, want := range []string{`"a"`, `"b"`, `"c"`, `"d"`, `"e"`, `"f"`, `"finish_reason":"stop"`, "[DONE]"} {
		j := strings.Index(s, want)
		if j < 0 {
			t.Fatalf("event %d %s missing from %s", i, want, s)
		}
		s = s[j:]
	}
}

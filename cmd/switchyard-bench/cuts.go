package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
)

// cutResult is the stream-cut check: streamed requests through switchyard,
// each verified complete against what the fake Ollama sent.
type cutResult struct {
	Requests    int `json:"requests"`
	Concurrency int `json:"concurrency"`
	Cuts        int `json:"cuts"`
	// Examples are the first few failures, for the report.
	Examples []string `json:"examples,omitempty"`
}

// streamChecker verifies one streamed answer against what the upstream
// sent for it, and counts and remembers the failures.
type streamChecker struct {
	sent     *sync.Map // tag → content the fake streamed
	cuts     atomic.Int64
	mu       sync.Mutex
	examples []string
}

// check returns nil for a complete answer; anything else is a cut, and is
// counted, never fatal.
func (sc *streamChecker) check(tag string, a *answer, err error) error {
	if err == nil {
		err = sc.verify(tag, a)
	}
	if err != nil {
		sc.cuts.Add(1)
		sc.mu.Lock()
		if len(sc.examples) < 5 {
			sc.examples = append(sc.examples, tag+": "+err.Error())
		}
		sc.mu.Unlock()
	}
	return nil
}

func (sc *streamChecker) verify(tag string, a *answer) error {
	if a.status != http.StatusOK {
		return fmt.Errorf("HTTP %d: %.200s", a.status, a.body)
	}
	s, err := readStream(a.body)
	switch {
	case err != nil:
		return err
	case s.Error != "":
		return fmt.Errorf("error event: %s", s.Error)
	case !s.Done:
		return fmt.Errorf("no [DONE] after %d events", s.Events)
	}
	want, ok := sc.sent.Load(tag)
	if !ok {
		return fmt.Errorf("the fake has no record of sending this answer")
	}
	if s.Content != want.(string) {
		return fmt.Errorf("content %q, the upstream sent %q", s.Content, want)
	}
	return nil
}

// checkStreams sends n streamed requests through switchyard with conc
// workers, each with its own words for the fake to echo, and counts the
// answers that are not complete and identical to what the fake sent.
func checkStreams(ctx context.Context, fake *fakeOllama, sy *daemon, n, conc int) (*cutResult, error) {
	sc := &streamChecker{sent: &sync.Map{}}
	fake.sent.Store(sc.sent)
	defer fake.sent.Store(nil)
	client := newClient(conc)
	defer client.CloseIdleConnections()
	conv := shortConversation("/nonexistent/cuts")
	words := strings.Fields("the quick brown fox jumps over the lazy dog while the tests of the router package run again and again until every stream arrives whole")
	tagOfReq := func(i int) string { return fmt.Sprintf("c%06d", i) }
	j := job{
		url: sy.URL + "/v1/chat/completions",
		body: func(i int) []byte {
			k := i % len(words)
			return conv.request("#"+tagOfReq(i)+" "+strings.Join(append(words[k:], words[:k]...), " "), true)
		},
	}
	j.check = func(i int, a *answer) error { return sc.check(tagOfReq(i), a, nil) }
	j.failed = func(i int, err error) { sc.check(tagOfReq(i), nil, err) }
	if _, _, err := load(ctx, client, j, n, conc, false); err != nil {
		return nil, err
	}
	return &cutResult{Requests: n, Concurrency: conc, Cuts: int(sc.cuts.Load()), Examples: sc.examples}, nil
}

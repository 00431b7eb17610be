package main

import (
	"errors"
	"net/http"
	"sync"
	"testing"
)

func TestStreamCheckerCountsEveryKindOfCut(t *testing.T) {
	sent := &sync.Map{}
	sent.Store("c1", "You said: hi")
	ok := &answer{status: http.StatusOK, body: []byte(`data: {"choices":[{"delta":{"content":"You said: hi"}}]}` + "\n\ndata: [DONE]\n\n")}
	for _, c := range []struct {
		name string
		tag  string
		a    *answer
		err  error
		cut  bool
	}{
		{name: "complete", tag: "c1", a: ok},
		{name: "no-done", tag: "c1", a: &answer{status: 200, body: []byte(`data: {"choices":[{"delta":{"content":"You said: hi"}}]}` + "\n\n")}, cut: true},
		{name: "short-content", tag: "c1", a: &answer{status: 200, body: []byte(`data: {"choices":[{"delta":{"content":"You said"}}]}` + "\n\ndata: [DONE]\n\n")}, cut: true},
		{name: "error-event", tag: "c1", a: &answer{status: 200, body: []byte(`data: {"error":{"message":"cut"}}` + "\n\n")}, cut: true},
		{name: "http-error", tag: "c1", a: &answer{status: 502, body: []byte(`{"error":{}}`)}, cut: true},
		{name: "transport-error", tag: "c1", err: errors.New("connection reset"), cut: true},
		{name: "upstream-never-finished", tag: "c2", a: ok, cut: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			sc := &streamChecker{sent: sent}
			if err := sc.check(c.tag, c.a, c.err); err != nil {
				t.Fatalf("check returned %v; a cut is counted, not returned", err)
			}
			if got := sc.cuts.Load() == 1; got != c.cut {
				t.Errorf("cut counted: %v, want %v (examples %q)", got, c.cut, sc.examples)
			}
		})
	}
}

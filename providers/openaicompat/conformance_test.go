package openaicompat

import (
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/switchyard/switchyard/providers/openaicompat/openaifake"
	"github.com/switchyard/switchyard/providers/providertest"
	"github.com/switchyard/switchyard/providers/retry"
)

// TestConformance runs the suite against openaifake in llama.cpp's shape,
// its answers scripted: a local engine, as switchyard wires one.
func TestConformance(t *testing.T) {
	providertest.Run(t, func(t *testing.T) *providertest.Backend {
		s := openaifake.New("qwen").LlamaCpp(131072, 262144)
		srv := httptest.NewServer(s)
		t.Cleanup(srv.Close)
		p := New(Options{Name: "llamacpp", BaseURL: srv.URL + "/v1", Model: "qwen", Local: true,
			HTTPClient: retry.NewClient(retry.Options{Max: 2, WaitMin: time.Millisecond, WaitMax: 5 * time.Millisecond})})
		return &providertest.Backend{
			Name: "llamacpp", Kind: "openai", Model: "qwen", Local: true, Window: 131072, Provider: p, Retries: true,
			Text:      func(pieces ...string) { s.Enqueue(openaifake.Reply{Text: pieces}) },
			ToolCalls: func(calls ...providertest.Call) { s.Enqueue(openaifake.Reply{Calls: fakeCalls(t, calls)}) },
			Fail: func(status, times, retryAfter int) {
				for range times {
					s.Enqueue(openaifake.Reply{Status: status, RetryAfter: retryAfter})
				}
			},
			Slow:     func(d time.Duration, text string) { s.Enqueue(openaifake.Reply{Delay: d, Text: []string{text}}) },
			Requests: s.Chats,
		}
	})
}

// fakeCalls are the suite's calls as the fake makes them.
func fakeCalls(t *testing.T, calls []providertest.Call) []openaifake.Call {
	out := make([]openaifake.Call, len(calls))
	for i, c := range calls {
		args, err := json.Marshal(c.Args)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = openaifake.Call{Name: c.Name, Arguments: string(args)}
	}
	return out
}

package gemini

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/providers/gemini/geminifake"
	"github.com/switchyard/switchyard/providers/providertest"
	"github.com/switchyard/switchyard/providers/retry"
)

func TestConformance(t *testing.T) {
	providertest.Run(t, func(t *testing.T) *providertest.Backend {
		fake := geminifake.New(geminifake.Options{})
		t.Cleanup(fake.Close)
		p, err := New(context.Background(), Options{Name: "gemini", BaseURL: fake.URL, Model: "gemini-2.5-pro", APIKey: "fake-key",
			HTTPClient: retry.NewClient(retry.Options{Max: 2, WaitMin: time.Millisecond, WaitMax: 5 * time.Millisecond})})
		if err != nil {
			t.Fatal(err)
		}
		return &providertest.Backend{
			Name: "gemini", Kind: "gemini", Model: "gemini-2.5-pro", Window: 1048576, Provider: p, Retries: true,
			Text: func(pieces ...string) { fake.Enqueue(geminifake.TextReply(pieces...)) },
			ToolCalls: func(calls ...providertest.Call) {
				var cs []geminifake.Call
				for _, c := range calls {
					cs = append(cs, geminifake.Call{Name: c.Name, Args: c.Args})
				}
				fake.Enqueue(geminifake.CallsReply(cs...))
			},
			Fail: func(status, times, retryAfter int) {
				r := geminifake.Reply{Status: status, Times: times}
				if retryAfter > 0 {
					r.RetryAfter = strconv.Itoa(retryAfter)
				}
				fake.Enqueue(r)
			},
			Slow: func(d time.Duration, text string) {
				r := geminifake.TextReply(text)
				r.Delay = d
				fake.Enqueue(r)
			},
			Requests: func() int {
				n := 0
				for _, r := range fake.Requests() {
					if strings.Contains(r.Path, "generateContent") || strings.Contains(r.Path, "GenerateContent") {
						n++
					}
				}
				return n
			},
		}
	})
}

package mistral

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/switchyard/switchyard/providers/mistral/mistralfake"
	"github.com/switchyard/switchyard/providers/providertest"
	"github.com/switchyard/switchyard/providers/retry"
)

func TestConformance(t *testing.T) {
	providertest.Run(t, func(t *testing.T) *providertest.Backend {
		fake := mistralfake.Start(mistralfake.Options{})
		t.Cleanup(fake.Close)
		p := New(Options{Name: "devstral", BaseURL: fake.URL, Model: "devstral-latest", APIKey: mistralfake.DefaultAPIKey,
			HTTPClient: retry.NewClient(retry.Options{Max: 2, WaitMin: time.Millisecond, WaitMax: 5 * time.Millisecond})})
		chats := func() int {
			n := 0
			for _, r := range fake.Requests() {
				if r.Method == "POST" {
					n++
				}
			}
			return n
		}
		return &providertest.Backend{
			Name: "devstral", Kind: "mistral", Model: "devstral-latest", Window: 262144, Provider: p, Retries: true,
			Text: func(pieces ...string) {
				s := ""
				for _, x := range pieces {
					s += x
				}
				fake.Enqueue(mistralfake.Reply{Text: s})
			},
			ToolCalls: func(calls ...providertest.Call) {
				var tc []mistralfake.ToolCall
				for _, c := range calls {
					a, _ := json.Marshal(c.Args)
					tc = append(tc, mistralfake.ToolCall{Name: c.Name, Arguments: string(a)})
				}
				fake.Enqueue(mistralfake.Reply{ToolCalls: tc, ToolCallStyle: "incremental"})
			},
			Fail: func(status, times, retryAfter int) {
				r := mistralfake.Reply{Status: status, Times: times}
				if retryAfter > 0 {
					r.RetryAfter = strconv.Itoa(retryAfter)
				}
				fake.Enqueue(r)
			},
			Slow:     func(d time.Duration, text string) { fake.Enqueue(mistralfake.Reply{Text: text, Delay: d}) },
			Requests: chats,
		}
	})
}

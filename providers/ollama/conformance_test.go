package ollama

import (
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/switchyard/switchyard/providers/ollama/ollamafake"
	"github.com/switchyard/switchyard/providers/providertest"
)

func TestConformance(t *testing.T) {
	providertest.Run(t, func(t *testing.T) *providertest.Backend {
		fake := ollamafake.New(ollamafake.Options{Models: []ollamafake.Model{ollamafake.Qwen3Coder30B()}})
		srv := httptest.NewServer(fake)
		t.Cleanup(srv.Close)
		p := New(Options{Name: "local", BaseURL: srv.URL, Model: "qwen3-coder:30b"})
		return &providertest.Backend{
			Name: "local", Kind: "ollama", Model: "qwen3-coder:30b", Local: true, Window: 262144, Provider: p,
			Text: func(pieces ...string) {
				var steps []ollamafake.Step
				for _, x := range pieces {
					steps = append(steps, ollamafake.Step{Content: x})
				}
				fake.Enqueue(ollamafake.Reply{Steps: steps})
			},
			ToolCalls: func(calls ...providertest.Call) {
				var sc []ollamafake.ScriptedCall
				for _, c := range calls {
					a, _ := json.Marshal(c.Args)
					sc = append(sc, ollamafake.ScriptedCall{Name: c.Name, Arguments: string(a)})
				}
				fake.Enqueue(ollamafake.Reply{Steps: []ollamafake.Step{{ToolCalls: sc}}})
			},
			Fail: func(status, times, retryAfter int) {
				for i := 0; i < times; i++ {
					fake.Enqueue(ollamafake.Reply{Status: status, Error: "server busy"})
				}
			},
			Slow: func(d time.Duration, text string) {
				fake.Enqueue(ollamafake.Reply{FirstChunkDelay: d, Steps: []ollamafake.Step{{Content: text}}})
			},
			Requests: func() int { return len(fake.ChatRequests()) },
		}
	})
}

package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/switchyard/switchyard/providers/openaicompat/openaifake"
)

// TestPoolMemberTakesTheEngineSlots: a llama.cpp pool member whose
// provider does not say its slots takes the engine's total_slots once the
// engine has said its window; one that says them keeps its own, and an
// engine that says none (vLLM) leaves the default. The first jobs run at
// once (under -race: the slots are written while they are routed), and
// those that come while a member's engine is being asked skip it, as
// routing does; the ones after find every member. The router reads the
// engine's slots while they arrive (-race).
func TestPoolMemberTakesTheEngineSlots(t *testing.T) {
	fakes := map[string]*openaifake.Server{
		"parallel":   openaifake.New("qwen3-coder").LlamaCpp(32768, 262144).Slots(4),
		"configured": openaifake.New("qwen3-coder").LlamaCpp(32768, 262144).Slots(4),
		"vllm":       openaifake.New("qwen3-coder").VLLM(32768),
	}
	yaml := "providers:\n"
	for _, name := range []string{"parallel", "configured", "vllm"} {
		srv := httptest.NewServer(fakes[name])
		t.Cleanup(srv.Close)
		yaml += "  - name: " + name + "\n    kind: openai\n    local: true\n    model: qwen3-coder\n    base_url: " + srv.URL + "/v1\n"
		if name == "configured" {
			yaml += "    slots: 2\n"
		}
	}
	yaml += "pools:\n  - name: office\n    members: [parallel, configured, vllm]\n"
	a := buildYAML(t, yaml)
	if n := a.upstream("parallel").SlotCount(); n != 1 {
		t.Fatalf("slots %d before the engine was asked (build does no I/O)", n)
	}
	sy := httptest.NewServer(a.router)
	defer sy.Close()
	send := func(name string, asking bool) {
		resp, err := http.Post(sy.URL+"/v1/chat/completions", "application/json",
			strings.NewReader(`{"model":"`+name+`","messages":[{"role":"user","content":"hello engine"}]}`))
		if err != nil {
			t.Error(err)
			return
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK && !(asking && resp.StatusCode == http.StatusServiceUnavailable) {
			t.Errorf("%s: HTTP %d", name, resp.StatusCode)
		}
	}
	members := []string{"parallel", "configured", "vllm", "parallel", "auto", "auto"}
	var wg sync.WaitGroup
	for _, name := range members {
		wg.Go(func() { send(name, true) })
	}
	wg.Wait()
	for _, name := range members {
		send(name, false)
	}
	for name, want := range map[string]int{"parallel": 4, "configured": 2, "vllm": 1} {
		if n := a.upstream(name).SlotCount(); n != want {
			t.Errorf("%s: slots %d, want %d", name, n, want)
		}
	}
}

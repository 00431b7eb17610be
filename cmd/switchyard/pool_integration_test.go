//go:build integration

package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/configs"
	"github.com/switchyard/switchyard/providers/mistral/mistralfake"
	"github.com/switchyard/switchyard/providers/ollama/realollama"
)

// TestRealOllamaPool runs a pool of two REAL Ollama servers on different
// ports with different windows (4096 and 8192) and different starting
// speed estimates, beside a cloud fake: the member that served a
// conversation keeps it on the next turn though the other is estimated
// quicker (it holds the prefix), /readyz shows both members, and when that
// member stops, the conversation's private turns go to the other member
// and never to the cloud.
func TestRealOllamaPool(t *testing.T) {
	a := realollama.Start(t, realollama.Options{})
	b := realollama.Start(t, realollama.Options{})
	cloud := mistralfake.Start(mistralfake.Options{APIKey: "pool-test-key"})
	defer cloud.Close()

	dir := t.TempDir()
	cfg := testConfig(t, dir, a.URL)
	pa := &cfg.Providers[0]
	pa.Name, pa.Model, pa.ContextWindow = "desk", a.Model, 4096
	// desk is estimated twenty times quicker at prefill until measured.
	pa.PrefillTokensPerSecond, pa.DecodeTokensPerSecond = 20000, 200
	pb := ollamaProvider("spark", b.URL)
	pb.Model, pb.ContextWindow = b.Model, 8192
	pb.PrefillTokensPerSecond, pb.DecodeTokensPerSecond = 1000, 200
	cfg.Providers = append(cfg.Providers, pb,
		cloudProvider("devstral", configs.KindMistral, cloud.URL, "devstral-latest", "POOL_MISTRAL_KEY", 262144))
	cfg.Pools = []configs.Pool{{Name: "office", Members: []string{"desk", "spark"}}}
	cfg.Policy.DefaultPrivacy = "private"
	r := &realRig{seedRig: startDaemon(t, dir, cfg, nil, map[string]string{"POOL_MISTRAL_KEY": "pool-test-key"}), ollama: a}

	waitFor(t, 2*time.Minute, "both members' windows", func() bool {
		resp, err := client.Get(r.url + "/readyz")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var rz struct {
			Providers []struct {
				Name   string `json:"name"`
				Window int    `json:"context_window"`
				Pool   string `json:"pool"`
			} `json:"providers"`
		}
		if json.NewDecoder(resp.Body).Decode(&rz) != nil {
			return false
		}
		seen := 0
		for _, p := range rz.Providers {
			if (p.Name == "desk" && p.Window == 4096 || p.Name == "spark" && p.Window == 8192) && p.Pool == "office" {
				seen++
			}
		}
		return seen == 2
	})

	route := func(body map[string]any) (string, string, []byte) {
		t.Helper()
		resp, b := r.post(t, "/v1/chat/completions", body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", resp.StatusCode, b)
		}
		return resp.Header.Get("X-Switchyard-Route"), resp.Header.Get("X-Switchyard-Fallback"), b
	}
	readme := strings.Repeat("The pool routes private jobs to on-prem engines only. ", 40)
	turn := []map[string]any{system("You are a coding agent."), user("Summarise this README:\n" + readme)}

	// Turn one, pinned to spark (as a user may pin a member).
	first := chatBody(false, 8, turn...)
	first["model"] = "spark"
	if got, _, _ := route(first); got != "spark" {
		t.Fatalf("turn one went to %s, want spark (pinned)", got)
	}
	// Turn two, auto: desk is estimated quicker at prefill, but spark
	// holds the conversation and prefills only the new message.
	turn = append(turn, assistant("It is about routing."), user("And in one word?"))
	ex := struct {
		Plan    []string `json:"plan"`
		Reasons []string `json:"reasons"`
	}{}
	_, eb := r.post(t, "/v1/switchyard/explain", chatBody(false, 8, turn...))
	if err := json.Unmarshal(eb, &ex); err != nil || len(ex.Plan) == 0 || ex.Plan[0] != "spark" || !strings.Contains(strings.Join(ex.Reasons, "\n"), "spark served this conversation before") {
		t.Fatalf("turn two's explanation: %s", eb)
	}
	if got, _, _ := route(chatBody(false, 8, turn...)); got != "spark" {
		t.Fatalf("turn two went to %s, want spark, which holds the conversation", got)
	}

	// spark goes away: the next turn falls back to desk, never to the cloud.
	if err := b.Stop(); err != nil {
		t.Fatal(err)
	}
	turn = append(turn, assistant("Routing."), user("Thanks."))
	got, fallback, _ := route(chatBody(false, 8, turn...))
	if got != "desk" {
		t.Fatalf("with spark stopped the turn went to %s (fallback %q), want desk", got, fallback)
	}
	if reqs := cloud.Requests(); len(reqs) != 0 {
		t.Fatalf("a private job reached the cloud: %d requests", len(reqs))
	}
}

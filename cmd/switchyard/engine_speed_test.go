package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/configs"
	"github.com/switchyard/switchyard/providers/openaicompat/openaifake"
)

// TestEngineLearnsFromWholeTimings: a whole reply (stream: false) from
// llama.cpp carries the same timings as a streamed one's last chunk, so it
// teaches the engine's prefill speed too. The engine here prefills 20,000
// tokens/s and answers 300 ms later than that: the speed learnt is the
// engine's own, as TestEngineLearnsFromItsTimings finds for a stream.
func TestEngineLearnsFromWholeTimings(t *testing.T) {
	fake := openaifake.New("qwen3-coder").LlamaCpp(65536, 262144).PrefillTokensPerSecond(20000)
	a := engineApp(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/chat/completions" {
			time.Sleep(300 * time.Millisecond)
		}
		fake.ServeHTTP(w, r)
	}, "    prefill_tokens_per_second: 15000\n")
	u := a.upstream("engine")
	srv := httptest.NewServer(a.router)
	defer srv.Close()
	file := strings.Repeat("func handle(w http.ResponseWriter, r *http.Request) { serve(w, r) }\n", 450)
	body, _ := json.Marshal(map[string]any{"model": "auto", "max_tokens": 100,
		"messages": []map[string]string{{"role": "user", "content": "read this file:\n" + file}}})
	resp, err := http.Post(srv.URL+"/v1/chat/completions", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Contains(b, []byte(`"chat.completion"`)) {
		t.Fatalf("HTTP %d: %s", resp.StatusCode, b)
	}
	// The speed is learnt after the answer has left.
	for deadline := time.Now().Add(2 * time.Second); u.Speed.Observed() == 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	points := u.Speed.Points()
	if len(points) != 1 {
		t.Fatalf("points %+v after a whole reply with timings, want one", points)
	}
	if p := points[0]; p.Cached != 0 || p.Seconds > 0.5 {
		t.Errorf("observed as %+v: the engine's own prompt_ms, without the 300 ms wait", p)
	}
	if tps := u.Speed.PrefillTPSAt(8000); tps <= 15000 || tps > 20000 {
		t.Errorf("learnt %.0f tokens/s at 8000 tokens from 15000; the engine prefills 20000", tps)
	}
}

// TestEngineSpeedSplitsAWholeReply: a whole reply's time, less the prefill
// the engine timed, is decoding, all of its tokens; without the engine's
// timing a whole reply teaches nothing, and a streamed one goes by its
// first chunk.
func TestEngineSpeedSplitsAWholeReply(t *testing.T) {
	for _, tc := range []struct {
		name              string
		usage             chat.Usage
		firstChunk, total time.Duration
		// observed is whether the prefill is learnt; decode the decoding
		// speed learnt (0: the prior's).
		observed bool
		decode   float64
	}{
		{name: "whole-timed", usage: chat.Usage{PromptTokens: 4000, CompletionTokens: 200, PromptDuration: time.Second},
			total: 3 * time.Second, observed: true, decode: 100},
		{name: "whole-untimed", usage: chat.Usage{PromptTokens: 4000, CompletionTokens: 200},
			total: 3 * time.Second},
		{name: "streamed", usage: chat.Usage{PromptTokens: 4000, CompletionTokens: 201},
			firstChunk: time.Second, total: 5 * time.Second, observed: true, decode: 50},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A prior of 1000 tokens/s decoding, which one observation
			// moves halfway toward what it saw.
			e := newEngineSpeed(configs.Provider{PrefillTokensPerSecond: 1000, DecodeTokensPerSecond: 1000})
			e.timed(tc.usage, tc.firstChunk, tc.total)
			if got := e.speed.Observed() == 1; got != tc.observed {
				t.Errorf("prefill observed: %v, want %v", got, tc.observed)
			}
			want := 1000.0
			if tc.decode > 0 {
				want = (1000 + tc.decode) / 2
			}
			if got := e.speed.DecodeTPS(); got < want-1 || got > want+1 {
				t.Errorf("decoding at %.1f tokens/s, want %.1f", got, want)
			}
		})
	}
}

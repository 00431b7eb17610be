package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestJudgeAndWrite(t *testing.T) {
	r := &results{
		Latency: []latencyRow{
			{Upstream: "ollama", Case: "whole reply", Concurrency: 64, Path: "direct"},
			{Upstream: "ollama", Case: "whole reply", Concurrency: 64, Path: "bare hop"},
			{Upstream: "ollama", Case: "whole reply", Concurrency: 64, Path: "switchyard", AddedMedianXBare: 1.1, RPSXBare: 0.85},
		},
		Tokenizer: &tokenizerResult{WarmMBps: 25},
		Decision:  &decisionResult{ColdMedianMS: 24, WarmMedianMS: 0.6},
		RSS:       &rssResult{IdleMiB: 31, Requests: 256, LoadHWMMiB: 150, AfterMiB: 45},
		Cuts:      &cutResult{Requests: 10000, Cuts: 0},
	}
	r.judge()
	want := map[string]bool{
		"added median latency, switchyard, ollama, whole reply, concurrency 64 (× the bare hop's)": true,
		"throughput, switchyard, ollama, whole reply, concurrency 64 (× the bare hop's)":           false,
		"peak RSS under 64 concurrent new 1.1 MB conversations (VmHWM)":                            true,
		"RSS after that burst":                        false,
		"tokenizer, warm (Qwen3 vocabulary, samples)": true,
		"decision time, 1 MiB request, cold (median)": true,
		"decision time, 1 MiB request, warm (median)": false,
		"idle RSS of switchyard serve":                false,
		"stream cuts in 10000 streamed requests":      true,
	}
	if len(r.Targets) != len(want) {
		t.Fatalf("%d targets: %+v", len(r.Targets), r.Targets)
	}
	for _, tg := range r.Targets {
		if p, ok := want[tg.Name]; !ok || p != tg.Pass {
			t.Errorf("%s: pass %v", tg.Name, tg.Pass)
		}
	}

	dir := t.TempDir()
	if err := r.write(dir); err != nil {
		t.Fatal(err)
	}
	var back results
	b, _ := os.ReadFile(filepath.Join(dir, "bench.json"))
	if err := json.Unmarshal(b, &back); err != nil || len(back.Targets) != len(want) {
		t.Errorf("bench.json: %v", err)
	}
	md, _ := os.ReadFile(filepath.Join(dir, "bench.md"))
	if !strings.Contains(string(md), "| idle RSS of switchyard serve | 31.0 MiB | < 30 | FAIL |") {
		t.Errorf("bench.md:\n%s", md)
	}
}

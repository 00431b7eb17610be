package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// results is everything a bench run measured; it is written as JSON and
// as a markdown table.
type results struct {
	Started   time.Time        `json:"started"`
	Seconds   float64          `json:"seconds"`
	Quick     bool             `json:"quick"`
	Machine   machine          `json:"machine"`
	Targets   []target         `json:"targets"`
	Latency   []latencyRow     `json:"latency"`
	Tokenizer *tokenizerResult `json:"tokenizer"`
	Decision  *decisionResult  `json:"decision"`
	RSS       *rssResult       `json:"rss"`
	Cuts      *cutResult       `json:"stream_cuts"`
	// Notes say what a run left out and why (a peer that failed a case).
	Notes []string `json:"notes,omitempty"`
}

type machine struct {
	CPUs      int    `json:"cpus"`
	GoVersion string `json:"go_version"`
	OS        string `json:"os"`
	Load      string `json:"loadavg_at_start,omitempty"`
}

// target is one goal and whether this run met it.
type target struct {
	Name   string  `json:"name"`
	Value  float64 `json:"value"`
	Unit   string  `json:"unit"`
	Target string  `json:"target"`
	Pass   bool    `json:"pass"`
}

// judge evaluates every target the issue sets against the figures.
func (r *results) judge() {
	for _, row := range r.Latency {
		if row.Path == "switchyard anthropic" {
			// Issue 14: the Anthropic translation adds at most 50 µs at the
			// median over the chat completions path, same case and load.
			for _, chat := range r.Latency {
				if chat.Path == "switchyard" && chat.Upstream == row.Upstream && chat.Case == row.Case && chat.Concurrency == row.Concurrency {
					d := row.MedianUS - chat.MedianUS
					r.Targets = append(r.Targets, target{
						Name:  fmt.Sprintf("Anthropic over chat completions, median, %s, %s, concurrency %d", row.Upstream, row.Case, row.Concurrency),
						Value: d, Unit: "µs", Target: "≤ 50", Pass: d <= 50,
					})
				}
			}
		}
		if !strings.HasPrefix(row.Path, "switchyard") {
			continue
		}
		// Issue 17: every dialect on every local engine kind adds at most
		// 1.15× the bare hop's median, and keeps 0.9× its throughput.
		what := fmt.Sprintf("%s, %s, %s, concurrency %d", row.Path, row.Upstream, row.Case, row.Concurrency)
		r.Targets = append(r.Targets, target{
			Name:  "added median latency, " + what + " (× the bare hop's)",
			Value: row.AddedMedianXBare, Unit: "×", Target: "≤ 1.15", Pass: row.AddedMedianXBare <= 1.15,
		}, target{
			Name:  "throughput, " + what + " (× the bare hop's)",
			Value: row.RPSXBare, Unit: "×", Target: "≥ 0.9", Pass: row.RPSXBare >= 0.9,
		})
	}
	if t := r.Tokenizer; t != nil {
		// The tokenizer's own target (policy/tokenize/bench_test.go
		// BenchmarkCount): 20 MB/s on one core, warm.
		r.Targets = append(r.Targets, target{Name: "tokenizer, warm (Qwen3 vocabulary, samples)", Value: t.WarmMBps, Unit: "MB/s", Target: "≥ 20", Pass: t.WarmMBps >= 20})
	}
	if d := r.Decision; d != nil {
		r.Targets = append(r.Targets,
			target{Name: "decision time, 1 MiB request, cold (median)", Value: d.ColdMedianMS, Unit: "ms", Target: "≤ 25", Pass: d.ColdMedianMS <= 25},
			target{Name: "decision time, 1 MiB request, warm (median)", Value: d.WarmMedianMS, Unit: "ms", Target: "≤ 0.5", Pass: d.WarmMedianMS <= 0.5})
	}
	if m := r.RSS; m != nil {
		r.Targets = append(r.Targets, target{Name: "idle RSS of switchyard serve", Value: m.IdleMiB, Unit: "MiB", Target: "< 30", Pass: m.IdleMiB < 30})
		if m.Requests > 0 {
			r.Targets = append(r.Targets,
				target{Name: "peak RSS under 64 concurrent new 1.1 MB conversations (VmHWM)", Value: m.LoadHWMMiB, Unit: "MiB", Target: "≤ 160", Pass: m.LoadHWMMiB <= 160},
				target{Name: "RSS after that burst", Value: m.AfterMiB, Unit: "MiB", Target: "≤ 40", Pass: m.AfterMiB <= 40})
		}
	}
	if c := r.Cuts; c != nil {
		r.Targets = append(r.Targets, target{Name: fmt.Sprintf("stream cuts in %d streamed requests", c.Requests), Value: float64(c.Cuts), Target: "0", Pass: c.Cuts == 0})
	}
}

// write puts bench.json and bench.md in dir.
func (r *results) write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	j, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "bench.json"), append(j, '\n'), 0o644); err != nil {
		return err
	}
	var md strings.Builder
	r.markdown(&md)
	return os.WriteFile(filepath.Join(dir, "bench.md"), []byte(md.String()), 0o644)
}

func (r *results) markdown(w io.Writer) {
	mode := "full run"
	if r.Quick {
		mode = "quick run (-quick)"
	}
	fmt.Fprintf(w, "# switchyard benchmarks\n\n%s, %s, %.0f s; %d CPUs, %s, %s; load average at start %s.\n\n",
		r.Started.Format(time.RFC3339), mode, r.Seconds, r.Machine.CPUs, r.Machine.GoVersion, r.Machine.OS, r.Machine.Load)
	fmt.Fprintf(w, "## Targets\n\n| target | measured | goal | pass |\n|---|---:|---|---|\n")
	for _, t := range r.Targets {
		mark := "PASS"
		if !t.Pass {
			mark = "FAIL"
		}
		fmt.Fprintf(w, "| %s | %s %s | %s | %s |\n", t.Name, num(t.Value), t.Unit, t.Target, mark)
	}
	if len(r.Latency) > 0 {
		fmt.Fprintf(w, "\n## Latency and throughput (loopback, fake engines)\n\n"+
			"Added = the path's figure minus calling the fake directly; × bare = switchyard's added figure, or its throughput, over the bare ReverseProxy hop's in the same run. "+
			"CPU = the hop process's CPU time over its rounds per request (every thread's run time from /proc; a daemon serving no other path meanwhile): the work it adds, which does not depend on where the scheduler put its wake-ups. Runs = how many times its threads were put on a CPU, per request: at concurrency 1 about its wake-ups, which cost latency the CPU figure misses.\n\n"+
			"| engine | case | conc. | path | requests | median µs | p99 µs | req/s | added median µs | added p99 µs | added median × bare | added p99 × bare | req/s × bare | CPU µs/request | CPU × bare | runs/request |\n"+
			"|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, l := range r.Latency {
			x := func(v float64) string {
				if l.Path == "direct" || l.Path == "bare hop" {
					return ""
				}
				return num(v)
			}
			cpu, runs := "", ""
			if l.CPUPerRequestUS > 0 {
				cpu, runs = num(l.CPUPerRequestUS), num(l.RunsPerRequest)
			}
			fmt.Fprintf(w, "| %s | %s | %d | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", l.Upstream, l.Case, l.Concurrency, l.Path, l.Requests,
				num(l.MedianUS), num(l.P99US), num(l.RPS), num(l.AddedMedianUS), num(l.AddedP99US),
				x(l.AddedMedianXBare), x(l.AddedP99XBare), x(l.RPSXBare), cpu, x(l.CPUXBare), runs)
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "\n- %s\n", n)
	}
	if t := r.Tokenizer; t != nil {
		fmt.Fprintf(w, "\n## Tokenizer\n\nQwen3 vocabulary, %d bytes of samples (%d tokens): warm %s MB/s over %d passes, cold (new tokenizer each pass) %s MB/s over %d passes.\n",
			t.Bytes, t.Tokens, num(t.WarmMBps), t.WarmPasses, num(t.ColdMBps), t.ColdPasses)
	}
	if d := r.Decision; d != nil {
		fmt.Fprintf(w, "\n## Decision time\n\nRouter.Explain (decode, directories and policy file, file count, credential scan, exact token count, policy.Decide) on a %d-byte request of %d tokens: cold median %s ms (max %s, %d runs); warm median %s ms (p99 %s, %d runs), %s allocations and %s KiB allocated per warm decision.\n",
			d.RequestBytes, d.PromptTokens, num(d.ColdMedianMS), num(d.ColdMaxMS), d.ColdRuns, num(d.WarmMedianMS), num(d.WarmP99MS), d.WarmRuns,
			num(d.WarmAllocs), num(d.WarmBytes/1024))
	}
	if m := r.RSS; m != nil {
		fmt.Fprintf(w, "\n## Memory\n\n`switchyard serve` as a child process: idle %s MiB (vocabulary loaded); under 64 concurrent %d-byte requests (%d in all) peak sampled %s MiB, VmHWM %s MiB; idle again after %s MiB. The bare hop idles at %s MiB.\n",
			num(m.IdleMiB), m.RequestBytes, m.Requests, num(m.LoadPeakMiB), num(m.LoadHWMMiB), num(m.AfterMiB), num(m.BareHopIdleMiB))
	}
	if c := r.Cuts; c != nil {
		fmt.Fprintf(w, "\n## Stream cuts\n\n%d streamed requests at concurrency %d through switchyard, each checked for [DONE] and for content equal to what the fake Ollama sent: %d cut.\n",
			c.Requests, c.Concurrency, c.Cuts)
		for _, e := range c.Examples {
			fmt.Fprintf(w, "- %s\n", e)
		}
	}
}

// num formats a figure with three significant digits or more.
func num(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v >= 100 || v <= -100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10 || v <= -10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

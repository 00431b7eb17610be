package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"time"
)

// The latency comparison. Three paths reach the same fake Ollama, which
// does byte-for-byte the same work on each because it receives the same
// /api/chat body:
//
//	direct      client ──/api/chat──────────────────────────────▶ fake Ollama
//	bare hop    client ──/api/chat──▶ ReverseProxy (child process) ──▶ fake Ollama
//	switchyard  client ──/v1/chat/completions──▶ switchyard serve (child) ──▶ fake Ollama
//	switchyard anthropic  client ──/v1/messages──▶ the same daemon ──▶ fake Ollama
//
// The direct and bare-hop clients send the exact body switchyard's ollama
// adapter sent for the same OpenAI request, captured from the fake, so the
// upstream's cost cancels out of "added = path − direct" for both hops and
// the two added figures differ only by what each hop does. (An
// OpenAI-shaped fake behind the bare hop would be another program with
// its own cost, and that difference would land in the comparison.) The
// clients' work is alike: NDJSON lines read to the end on the direct and
// bare paths, as many SSE events on switchyard's. Both hops are child
// processes with their own scheduler; the fake and the clients share this
// one. Each path runs in rounds, in rotating order, so that noise from a
// shared machine falls on all three alike.

// latencyRow is one path's figures for one case and concurrency.
type latencyRow struct {
	Case        string  `json:"case"`
	Concurrency int     `json:"concurrency"`
	Path        string  `json:"path"`
	Requests    int     `json:"requests"`
	MedianUS    float64 `json:"median_us"`
	P99US       float64 `json:"p99_us"`
	RPS         float64 `json:"requests_per_second"`
	// AddedMedianUS and AddedP99US are the path's figure minus direct's.
	AddedMedianUS float64 `json:"added_median_us"`
	AddedP99US    float64 `json:"added_p99_us"`
	// The ratios to the bare hop of the same case and concurrency, for
	// switchyard's rows.
	AddedMedianXBare float64 `json:"added_median_x_bare,omitempty"`
	AddedP99XBare    float64 `json:"added_p99_x_bare,omitempty"`
	RPSXBare         float64 `json:"rps_x_bare,omitempty"`
}

type latencyCase struct {
	name      string
	stream    bool
	firstByte bool
}

var latencyCases = []latencyCase{
	{name: "whole reply", stream: false, firstByte: false},
	{name: "stream first byte", stream: true, firstByte: true},
}

// path is one way to the fake.
type path struct {
	name string
	url  string
	body []byte
	// done is the bytes a complete answer ends with, to check each one.
	done []byte
}

// measureLatency runs every case at concurrency 1 and 64.
func measureLatency(ctx context.Context, fake *fakeOllama, hop *hopProcess, sy *daemon, counts [2]int, progress func(string)) ([]latencyRow, error) {
	var rows []latencyRow
	client := newClient(64)
	defer client.CloseIdleConnections()
	for _, c := range latencyCases {
		conv := shortConversation("/nonexistent/bench")
		const ask = "#latency Rename parseCount to parseDecimal in router/features.go, update every caller, run the tests of the router package, and tell me which files you changed and why."
		openai, anthropic := conv.request(ask, c.stream), conv.anthropicRequest(ask, c.stream)
		a, err := post(ctx, client, sy.URL+"/v1/chat/completions", openai, nil)
		if err != nil || a.status != http.StatusOK {
			return nil, fmt.Errorf("switchyard: %v %+v", err, a)
		}
		native, ok := fake.lastChat()
		if !ok {
			return nil, errNoChat
		}
		syDone, anDone := []byte(`"finish_reason":"stop"`), []byte(`"stop_reason":"end_turn"`)
		if c.stream {
			syDone, anDone = []byte("data: [DONE]\n\n"), []byte("event: message_stop\n")
		}
		paths := []path{
			{"direct", fake.URL + "/api/chat", native, []byte("\"done\":true")},
			{"bare hop", hop.URL + "/api/chat", native, []byte("\"done\":true")},
			{"switchyard", sy.URL + "/v1/chat/completions", openai, syDone},
			{"switchyard anthropic", sy.URL + "/v1/messages", anthropic, anDone},
		}
		for ci, conc := range []int{1, 64} {
			progress(fmt.Sprintf("latency: %s at concurrency %d", c.name, conc))
			r, err := measurePaths(ctx, client, paths, counts[ci], conc, c.firstByte)
			if err != nil {
				return nil, fmt.Errorf("%s, concurrency %d: %w", c.name, conc, err)
			}
			for i := range r {
				r[i].Case = c.name
			}
			rows = append(rows, r...)
		}
	}
	return rows, nil
}

// latencyRounds is how many times the paths take turns. A shared virtual
// machine changes pace for seconds at a time; with few long rounds one
// path's round can fall wholly in a slow spell (five rounds gave ratios
// from 1.08 to 1.39 between runs of the same code), with many short ones
// the spells fall on every path alike.
const latencyRounds = 50

// measurePaths sends n requests down each path with conc workers, in
// rounds of rotating order, and returns a row per path.
func measurePaths(ctx context.Context, client *http.Client, paths []path, n, conc int, firstByte bool) ([]latencyRow, error) {
	lat := make([][]time.Duration, len(paths))
	wall := make([]time.Duration, len(paths))
	// Warm connections, the fake and the daemon's caches.
	for _, p := range paths {
		if _, _, err := load(ctx, client, jobFor(p), max(conc, 32), conc, firstByte); err != nil {
			return nil, fmt.Errorf("%s: %w", p.name, err)
		}
	}
	per := max(1, n/latencyRounds)
	for round := range latencyRounds {
		for k := range paths {
			i := (round + k) % len(paths)
			l, w, err := load(ctx, client, jobFor(paths[i]), per, conc, firstByte)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", paths[i].name, err)
			}
			lat[i] = append(lat[i], l...)
			wall[i] += w
		}
	}
	rows := make([]latencyRow, len(paths))
	for i, p := range paths {
		rows[i] = latencyRow{Concurrency: conc, Path: p.name, Requests: len(lat[i]),
			MedianUS: us(percentile(lat[i], 50)), P99US: us(percentile(lat[i], 99)),
			RPS: float64(len(lat[i])) / wall[i].Seconds()}
		rows[i].AddedMedianUS = rows[i].MedianUS - rows[0].MedianUS
		rows[i].AddedP99US = rows[i].P99US - rows[0].P99US
	}
	bare := &rows[1]
	for i := 2; i < len(rows); i++ {
		sy := &rows[i]
		sy.AddedMedianXBare = ratio(sy.AddedMedianUS, bare.AddedMedianUS)
		sy.AddedP99XBare = ratio(sy.AddedP99US, bare.AddedP99US)
		sy.RPSXBare = ratio(sy.RPS, bare.RPS)
	}
	return rows, nil
}

func jobFor(p path) job {
	return job{url: p.url, body: func(int) []byte { return p.body }, check: func(_ int, a *answer) error {
		if a.status != http.StatusOK {
			return fmt.Errorf("HTTP %d: %.300s", a.status, a.body)
		}
		if !bytes.HasSuffix(bytes.TrimRight(a.body, "\n"), bytes.TrimRight(p.done, "\n")) && !bytes.Contains(a.body, p.done) {
			return fmt.Errorf("incomplete answer: %.300s", a.body)
		}
		return nil
	}}
}

func us(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 }

// ratio is a/b, or 0 when b is not positive (a ratio to nothing means
// nothing).
func ratio(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	return a / b
}

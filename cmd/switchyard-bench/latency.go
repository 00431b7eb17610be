package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"time"
)

// The latency comparison. For each local engine kind, paths reach the
// same fake engine, which does byte-for-byte the same work on each because
// it receives the same chat body:
//
//	direct      client ──native chat──────────────────────────────▶ fake engine
//	bare hop    client ──native chat──▶ ReverseProxy (child process) ──▶ fake engine
//	switchyard  client ──/v1/chat/completions──▶ switchyard serve (child) ──▶ fake engine
//	switchyard anthropic, responses, gemini: the same turn in that dialect,
//	            to the same daemon
//
// The engines are the fake Ollama (/api/chat, NDJSON) and an
// OpenAI-compatible server in llama.cpp's shape (openaifake,
// /v1/chat/completions, SSE) behind a kind openai, local provider, each
// with its own daemon and its own bare hop.
//
// The direct and bare-hop clients send the exact body switchyard's adapter
// sent for the same OpenAI request, captured from the fake, so the
// upstream's cost cancels out of "added = path − direct" for both hops and
// the two added figures differ only by what each hop does. The clients'
// work is alike: the engine's lines read to the end on the direct and bare
// paths, as many events on switchyard's. Both hops are child processes
// with their own scheduler; the fakes and the clients share this one. Each
// path runs in rounds, in rotating order, so that noise from a shared
// machine falls on every path alike.

// latencyRow is one path's figures for one case and concurrency.
type latencyRow struct {
	Upstream    string  `json:"upstream"`
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
	// CPUPerRequestUS is the hop process's CPU time over its rounds per
	// request (cpuTime), and CPUXBare its ratio to the bare hop's: the
	// work a hop adds, whatever the scheduler did with its wake-ups.
	CPUPerRequestUS float64 `json:"cpu_per_request_us,omitempty"`
	CPUXBare        float64 `json:"cpu_x_bare,omitempty"`
	// RunsPerRequest is how many times the hop process's threads were put
	// on a CPU per request (schedstat's third field): at concurrency 1,
	// its wake-ups, each of which costs latency that CPU time misses.
	RunsPerRequest float64 `json:"runs_per_request,omitempty"`
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
	done   []byte
	header http.Header
	// pid is the hop's process, whose CPU time per request is measured;
	// 0 for none (the direct path).
	pid int
}

// engine is one local engine kind with its fake, its bare hop and the
// daemon in front of it.
type engine struct {
	name string
	// chat is the fake's own chat URL, hop the bare hop's for the same
	// path, hopPID its process; last returns the body of the newest chat
	// request the fake received.
	chat, hop string
	hopPID    int
	last      func() ([]byte, bool)
	// done is what a complete native answer ends with, whole and streamed.
	done, streamDone []byte
	sy               *daemon
	// peers are other gateways in front of the same engine (API root
	// api): each is given the body the bare hop gets.
	api   string
	peers []*peerProcess
}

// measureLatency runs every case at concurrency 1 and 64 for every engine.
func measureLatency(ctx context.Context, engines []engine, counts [2]int, notes *[]string, progress func(string)) ([]latencyRow, error) {
	var rows []latencyRow
	client := newClient(64)
	defer client.CloseIdleConnections()
	for _, en := range engines {
		for _, c := range latencyCases {
			conv := shortConversation("/nonexistent/bench")
			const ask = "#latency Rename parseCount to parseDecimal in router/features.go, update every caller, run the tests of the router package, and tell me which files you changed and why."
			openai := conv.request(ask, c.stream)
			a, err := post(ctx, client, en.sy.URL+"/v1/chat/completions", openai, nil)
			if err != nil || a.status != http.StatusOK {
				return nil, fmt.Errorf("switchyard (%s): %v %+v", en.name, err, a)
			}
			native, ok := en.last()
			if !ok {
				return nil, errNoChat
			}
			nativeDone := en.done
			sy := en.sy.cmd.Process.Pid
			syDone, anDone, reDone, geDone := []byte(`"finish_reason":"stop"`), []byte(`"stop_reason":"end_turn"`), []byte(`"status":"completed"`), []byte(`"finishReason":"STOP"`)
			if c.stream {
				nativeDone = en.streamDone
				syDone, anDone, reDone = []byte("data: [DONE]\n\n"), []byte("event: message_stop\n"), []byte("event: response.completed\n")
			}
			paths := []path{
				{name: "direct", url: en.chat, body: native, done: nativeDone},
				{name: "bare hop", url: en.hop, body: native, done: nativeDone, pid: en.hopPID},
				{name: "switchyard", url: en.sy.URL + "/v1/chat/completions", body: openai, done: syDone, pid: sy},
				{name: "switchyard anthropic", url: en.sy.URL + "/v1/messages", body: conv.anthropicRequest(ask, c.stream), done: anDone, pid: sy},
				{name: "switchyard responses", url: en.sy.URL + "/v1/responses", body: conv.responsesRequest(ask, c.stream), done: reDone, pid: sy},
				{name: "switchyard gemini", url: en.sy.URL + geminiPath(c.stream), body: conv.geminiRequest(ask), done: geDone, pid: sy},
			}
			for _, pp := range en.peers {
				// A peer that cannot serve the case is left out of it,
				// and the report says so, rather than end the run.
				p := pp.path(en.api, native, nativeDone)
				a, err := post(ctx, client, p.url, p.body, p.header)
				if err == nil {
					err = jobFor(p).check(0, a)
				}
				if err != nil {
					*notes = append(*notes, fmt.Sprintf("%s left out of %s, %s: %v", p.name, en.name, c.name, err))
					progress((*notes)[len(*notes)-1])
					continue
				}
				paths = append(paths, p)
			}
			for ci, conc := range []int{1, 64} {
				progress(fmt.Sprintf("latency: %s, %s at concurrency %d", en.name, c.name, conc))
				r, err := measurePaths(ctx, client, paths, counts[ci], conc, c.firstByte)
				if err != nil {
					return nil, fmt.Errorf("%s, %s, concurrency %d: %w", en.name, c.name, conc, err)
				}
				for i := range r {
					r[i].Upstream, r[i].Case = en.name, c.name
				}
				rows = append(rows, r...)
			}
		}
	}
	return rows, nil
}

func geminiPath(stream bool) string {
	if stream {
		return "/v1beta/models/auto:streamGenerateContent?alt=sse"
	}
	return "/v1beta/models/auto:generateContent"
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
	cpu := make([]schedstat, len(paths))
	cpuOK := make([]bool, len(paths))
	for i, p := range paths {
		cpuOK[i] = p.pid != 0
	}
	// used is the CPU time of path i's process, or 0 when it cannot be
	// read (then the path reports none).
	used := func(i int) schedstat {
		if !cpuOK[i] {
			return schedstat{}
		}
		s, err := readSchedstat(paths[i].pid)
		if err != nil {
			cpuOK[i] = false
		}
		return s
	}
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
			before := used(i)
			l, w, err := load(ctx, client, jobFor(paths[i]), per, conc, firstByte)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", paths[i].name, err)
			}
			after := used(i)
			cpu[i].ran += after.ran - before.ran
			cpu[i].slices += after.slices - before.slices
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
		if cpuOK[i] {
			rows[i].CPUPerRequestUS = us(cpu[i].ran) / float64(len(lat[i]))
			rows[i].RunsPerRequest = float64(cpu[i].slices) / float64(len(lat[i]))
		}
	}
	bare := &rows[1]
	for i := 2; i < len(rows); i++ {
		sy := &rows[i]
		sy.AddedMedianXBare = ratio(sy.AddedMedianUS, bare.AddedMedianUS)
		sy.AddedP99XBare = ratio(sy.AddedP99US, bare.AddedP99US)
		sy.RPSXBare = ratio(sy.RPS, bare.RPS)
		sy.CPUXBare = ratio(sy.CPUPerRequestUS, bare.CPUPerRequestUS)
	}
	return rows, nil
}

func jobFor(p path) job {
	return job{url: p.url, header: p.header, body: func(int) []byte { return p.body }, check: func(_ int, a *answer) error {
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

// Command switchyard-bench measures switchyard against the targets of the
// limits issue and writes the figures as a markdown table and as JSON:
//
//	go run ./cmd/switchyard-bench [-out DIR] [-quick] [-peers]
//	go run ./cmd/switchyard-bench -install-peers
//	go run ./cmd/switchyard-bench -soak [-duration 60s] [-out DIR]
//
// It builds ./cmd/switchyard and runs `switchyard serve` as a child process
// in front of a fake Ollama (ollamafake), and another in front of a fake
// OpenAI-compatible engine (openaifake), on loopback; nothing leaves the
// machine and no key is needed. With -peers, the gateways -install-peers
// installed (Portkey, pinned) are measured beside the bare hop on the
// OpenAI-compatible path. Every run is bounded and stops by itself.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/switchyard/switchyard/providers/ollama/ollamafake"
)

// options are the command's flags.
type options struct {
	out        string
	quick      bool
	soak       bool
	duration   time.Duration
	switchyard string
	peers      bool
}

func main() {
	var o options
	var hop bool
	var upstream string
	flag.StringVar(&o.out, "out", "bench-results", "directory for bench.md and bench.json (soak.md and soak.json with -soak)")
	flag.BoolVar(&o.quick, "quick", false, "a short run for CI: seconds, not minutes")
	flag.BoolVar(&o.soak, "soak", false, "drive switchyard through fakes injecting failures, and report errors by cause")
	flag.DurationVar(&o.duration, "duration", 60*time.Second, "how long -soak drives switchyard")
	flag.StringVar(&o.switchyard, "switchyard", "", "a switchyard binary to measure (default: go build ./cmd/switchyard)")
	flag.BoolVar(&o.peers, "peers", false, "also measure the peers (Portkey) on the OpenAI-compatible path, when installed")
	install := flag.Bool("install-peers", false, "install the peers, pinned, with npm, and exit")
	flag.BoolVar(&hop, "serve-bare-hop", false, "internal: serve the bare ReverseProxy baseline")
	flag.StringVar(&upstream, "upstream", "", "internal: the bare hop's upstream URL")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "switchyard-bench: unexpected arguments %q\n", flag.Args())
		os.Exit(2)
	}
	if *install {
		if err := installPeers(); err != nil {
			fmt.Fprintln(os.Stderr, "switchyard-bench: installing peers:", err)
			os.Exit(1)
		}
		return
	}
	if hop {
		if err := serveBareHop(upstream); err != nil {
			fmt.Fprintln(os.Stderr, "switchyard-bench: bare hop:", err)
			os.Exit(1)
		}
		return
	}
	if o.soak && (o.duration <= 0 || o.duration > 24*time.Hour) {
		fmt.Fprintln(os.Stderr, "switchyard-bench: -duration must be between 0 and 24h")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	var err error
	if o.soak {
		err = runSoak(ctx, o)
	} else {
		err = runBench(ctx, o)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "switchyard-bench:", err)
		os.Exit(1)
	}
}

// sizes are how much each measurement does.
type sizes struct {
	latency          [2]int // requests per path at concurrency 1 and 64
	cuts             int
	rssPerClient     int
	coldRuns         int
	warmRuns         int
	tokenizerWarmFor time.Duration
	tokenizerCold    int
	deadline         time.Duration
}

func sizesFor(quick bool) sizes {
	if quick {
		return sizes{latency: [2]int{100, 640}, cuts: 1000, rssPerClient: 1, coldRuns: 3, warmRuns: 50,
			tokenizerWarmFor: 500 * time.Millisecond, tokenizerCold: 1, deadline: 5 * time.Minute}
	}
	return sizes{latency: [2]int{1000, 6400}, cuts: 10000, rssPerClient: 4, coldRuns: 10, warmRuns: 500,
		tokenizerWarmFor: 3 * time.Second, tokenizerCold: 3, deadline: 30 * time.Minute}
}

func progress(s string) { fmt.Fprintf(os.Stderr, "%s  %s\n", time.Now().Format("15:04:05"), s) }

// env is what the measurements share: the module's corpus, a work
// directory, the switchyard binary.
type env struct {
	root string
	dir  string
	bin  string
	c    *corpus
}

func setup(ctx context.Context, o options) (*env, func(), error) {
	root, err := moduleRoot(ctx)
	if err != nil {
		return nil, nil, err
	}
	c, err := loadCorpus(root)
	if err != nil {
		return nil, nil, err
	}
	dir, err := os.MkdirTemp("", "switchyard-bench-")
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	bin := o.switchyard
	if bin == "" {
		progress("building ./cmd/switchyard")
		if bin, err = buildSwitchyard(ctx, root, dir); err != nil {
			cleanup()
			return nil, nil, err
		}
	}
	return &env{root: root, dir: dir, bin: bin, c: c}, cleanup, nil
}

func machineInfo() machine {
	m := machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		m.Load = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	return m
}

// benchConfig is switchyard's configuration for the benchmarks: the one
// local model behind the fake, with a window that takes a 1 MiB request.
const benchConfig = `listen: {{LISTEN}}
log:
  level: info
providers:
  - name: local
    kind: ollama
    base_url: {{FAKE}}
    model: qwen3-coder:30b
    memory: 256GiB
policy:
  default_privacy: private
audit:
  path: {{DIR}}/egress.jsonl
`

func runBench(ctx context.Context, o options) error {
	sz := sizesFor(o.quick)
	ctx, cancel := context.WithTimeout(ctx, sz.deadline)
	defer cancel()
	started := time.Now()
	r := &results{Started: started, Quick: o.quick, Machine: machineInfo()}
	e, cleanup, err := setup(ctx, o)
	if err != nil {
		return err
	}
	defer cleanup()

	progress("tokenizer")
	vocab, err := e.c.vocabulary()
	if err != nil {
		return err
	}
	if r.Tokenizer, err = measureTokenizer(e.c, vocab, sz.tokenizerWarmFor, sz.tokenizerCold); err != nil {
		return fmt.Errorf("tokenizer: %w", err)
	}
	progress("decision time")
	if r.Decision, err = measureDecision(e.c, vocab, e.dir, sz.coldRuns, sz.warmRuns); err != nil {
		return fmt.Errorf("decision: %w", err)
	}

	fake, err := startBenchFake(e.c)
	if err != nil {
		return err
	}
	defer fake.Close()
	cfg := strings.NewReplacer("{{FAKE}}", fake.URL, "{{DIR}}", e.dir).Replace(benchConfig)
	sy, err := startDaemon(e.bin, e.dir, cfg, nil)
	if err != nil {
		return err
	}
	defer sy.stop()
	if err := sy.waitExact(2 * time.Minute); err != nil {
		return err
	}
	hop, err := startBareHop(fake.URL)
	if err != nil {
		return err
	}
	defer hop.stop()
	time.Sleep(2 * time.Second) // let start-up garbage be collected
	if r.RSS, err = idleRSS(sy, hop); err != nil {
		return err
	}

	progress("the OpenAI-compatible engine's path")
	eng, err := startEngine(e)
	if err != nil {
		return err
	}
	defer eng.close()
	ollamaPath := engine{name: "ollama", chat: fake.URL + "/api/chat", hop: hop.URL + "/api/chat", hopPID: hop.cmd.Process.Pid, last: fake.lastChat,
		done: []byte(`"done":true`), streamDone: []byte(`"done":true`), sy: sy}
	engPath := eng.engine()
	if o.peers {
		engPath.peers = startPeers()
		defer func() {
			for _, pp := range engPath.peers {
				pp.stop()
			}
		}()
	}
	if r.Latency, err = measureLatency(ctx, []engine{ollamaPath, engPath}, sz.latency, &r.Notes, progress); err != nil {
		return fmt.Errorf("latency: %w", err)
	}
	if err := eng.close(); err != nil {
		return err
	}
	progress(fmt.Sprintf("stream cuts: %d streamed requests", sz.cuts))
	if r.Cuts, err = checkStreams(ctx, fake, sy, sz.cuts, 64); err != nil {
		return fmt.Errorf("stream cuts: %w", err)
	}
	progress("RSS under 64 concurrent 1 MiB requests")
	if err := measureRSS(ctx, e.c, sy, r.RSS, 64, sz.rssPerClient); err != nil {
		return fmt.Errorf("rss: %w", err)
	}
	if err := sy.stop(); err != nil {
		return fmt.Errorf("switchyard did not stop cleanly: %w", err)
	}
	r.Seconds = time.Since(started).Seconds()
	r.judge()
	if err := r.write(o.out); err != nil {
		return err
	}
	progress("wrote " + o.out + "/bench.md and bench.json")
	var failed []string
	for _, t := range r.Targets {
		if !t.Pass {
			failed = append(failed, t.Name)
		}
	}
	if len(failed) > 0 {
		fmt.Fprintf(os.Stderr, "targets missed: %s\n", strings.Join(failed, "; "))
	}
	return ctx.Err()
}

// startBenchFake starts the fake Ollama with benchModel and the real Qwen3
// vocabulary, which the daemon fetches to count exactly.
func startBenchFake(c *corpus) (*fakeOllama, error) {
	m := benchModel()
	v, err := c.fakeVocabulary()
	if err != nil {
		return nil, err
	}
	m.Vocabulary = v
	return startFakeOllama(ollamafake.Options{Models: []ollamafake.Model{m}}, nil)
}

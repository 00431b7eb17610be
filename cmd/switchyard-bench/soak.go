package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchyard/switchyard/providers/mistral/mistralfake"
	"github.com/switchyard/switchyard/providers/ollama/ollamafake"
)

// scenario is one kind of soak request: whose job it is, which failures it
// asks the fakes for, and what a correct switchyard may answer.
type scenario struct {
	name    string
	private bool
	// heavy sends X-Switchyard-Files above policy.heavy.min_files, so a
	// public job goes to the clouds first.
	heavy      bool
	directives string
	// mayFail: an error is a correct answer (every provider the job may use
	// was made to fail). A scenario that may not fail has a provider left
	// that answers, and switchyard must get to it.
	mayFail bool
	// mayCutStream: a streamed answer may end in an error event after
	// content (the failure came after the first byte, when falling back is
	// no longer allowed).
	mayCutStream bool
	// answer names the providers that would answer this request correctly
	// (space-separated); the "dead" provider never does.
	answer string
}

// scenarios cover every failure of the limits issue, for private and
// public jobs. The provider "dead" is configured at a closed port: every
// public job that reaches it meets a refused connection.
var scenarios = []scenario{
	{name: "private, healthy", answer: "local"},
	{name: "private, slow prefill", directives: "local=slow", answer: "local"},
	{name: "private, local 503", directives: "local=503", mayFail: true},
	{name: "private, local silent", directives: "local=silent", mayFail: true},
	{name: "private, local cut mid-stream", directives: "local=cut", mayFail: true, mayCutStream: true},
	{name: "public, healthy", answer: "local devstral gemini"},
	{name: "public, local 503", directives: "local=503", answer: "devstral gemini"},
	{name: "public, local silent", directives: "local=silent", answer: "devstral gemini"},
	{name: "public, local cut mid-stream", directives: "local=cut", mayCutStream: true, answer: "devstral gemini"},
	{name: "public heavy, refused connection", heavy: true, answer: "devstral gemini local"},
	{name: "public heavy, devstral 429", heavy: true, directives: "devstral=429", answer: "gemini local"},
	{name: "public heavy, devstral 429 once", heavy: true, directives: "devstral=429once", answer: "devstral gemini local"},
	{name: "public heavy, clouds 503", heavy: true, directives: "devstral=503 gemini=503", answer: "local"},
	{name: "public heavy, everything fails", heavy: true, directives: "devstral=429 gemini=503 local=503", mayFail: true},
}

func init() {
	for i := range scenarios {
		scenarios[i].private = strings.HasPrefix(scenarios[i].name, "private")
	}
}

const soakConfig = `listen: {{LISTEN}}
server:
  keepalive_interval: 1s
log:
  level: warn
providers:
  - name: local
    kind: ollama
    base_url: {{OLLAMA}}
    model: qwen3-coder:30b
    memory: 256GiB
    first_byte_timeout: 3s
  - name: dead
    kind: openai
    base_url: http://{{DEAD}}/v1
    model: gpt-4.1
    api_key_env: DEAD_API_KEY
    context_window: 262144
    first_byte_timeout: 5s
  - name: devstral
    kind: mistral
    base_url: {{MISTRAL}}/v1
    model: devstral-latest
    api_key_env: MISTRAL_API_KEY
    context_window: 262144
    first_byte_timeout: 20s
  - name: gemini
    kind: gemini
    base_url: {{GEMINI}}
    model: gemini-2.5-pro
    api_key_env: GEMINI_API_KEY
    context_window: 1048576
    first_byte_timeout: 20s
policy:
  default_privacy: private
  heavy:
    min_files: 5
    min_tokens: 100000
audit:
  path: {{DIR}}/egress.jsonl
`

// soakResult is what a soak found.
type soakResult struct {
	Started     time.Time `json:"started"`
	Seconds     float64   `json:"seconds"`
	Concurrency int       `json:"concurrency"`
	Requests    int64     `json:"requests"`
	OK          int64     `json:"ok"`
	// Expected are errors an injected failure caused, by cause; Switchyard
	// are the rest, by cause, with examples. The target is none.
	Expected   map[string]int64 `json:"expected_errors"`
	Switchyard map[string]int64 `json:"switchyard_errors"`
	Examples   []string         `json:"switchyard_error_examples,omitempty"`
	// Injected counts the failures the fakes really injected.
	Injected          map[string]int64 `json:"injected"`
	ByScenario        map[string]int64 `json:"requests_by_scenario"`
	GoroutinesStart   int              `json:"goroutines_start"`
	GoroutinesEnd     int              `json:"goroutines_end"`
	RSSStartMiB       float64          `json:"rss_start_mib"`
	RSSMidMiB         float64          `json:"rss_mid_mib"`
	RSSEndMiB         float64          `json:"rss_end_mib"`
	RSSPeakMiB        float64          `json:"rss_peak_mib"`
	NoSwitchyardError bool             `json:"pass_no_switchyard_error"`
	NoGrowth          bool             `json:"pass_no_growth"`
}

// soakRig is switchyard in front of fakes that inject failures.
type soakRig struct {
	in         *injections
	ollama     *fakeOllama
	failures   *ollamaFailures
	devstral   *cloudFront
	gemini     *cloudFront
	closers    []func()
	sy         *daemon
	privRepo   string
	publicRepo string
}

func (g *soakRig) close() {
	if g.sy != nil {
		g.sy.stop()
	}
	for _, c := range slices.Backward(g.closers) {
		c()
	}
}

func startSoakRig(e *env) (*soakRig, error) {
	g := &soakRig{in: &injections{}}
	o := ollamafake.Options{Models: []ollamafake.Model{benchModel()}}
	g.failures = newOllamaFailures(o, g.in)
	var err error
	if g.ollama, err = startFakeOllama(o, g.failures.intercept); err != nil {
		return nil, err
	}
	g.closers = append(g.closers, g.ollama.Close)

	mh, mf := mistralFakes()
	gh, gf := geminiFakes()
	g.closers = append(g.closers, mh.Close, gh.Close)
	mfail, gfail := map[string]string{}, map[string]string{}
	for k, s := range mf {
		g.closers = append(g.closers, s.Close)
		mfail[k] = strings.TrimSuffix(s.URL, "/v1")
	}
	for k, s := range gf {
		g.closers = append(g.closers, s.Close)
		gfail[k] = s.URL
	}
	if g.devstral, err = startCloudFront("devstral", strings.TrimSuffix(mh.URL, "/v1"), mfail, g.in); err != nil {
		g.close()
		return nil, err
	}
	g.closers = append(g.closers, g.devstral.Close)
	if g.gemini, err = startCloudFront("gemini", gh.URL, gfail, g.in); err != nil {
		g.close()
		return nil, err
	}
	g.closers = append(g.closers, g.gemini.Close)
	dead, err := freeAddr() // nothing listens there: every connection is refused
	if err != nil {
		g.close()
		return nil, err
	}

	g.privRepo, g.publicRepo = filepath.Join(e.dir, "private-repo"), filepath.Join(e.dir, "public-repo")
	for repo, privacy := range map[string]string{g.privRepo: "private", g.publicRepo: "public"} {
		if err := os.MkdirAll(repo, 0o755); err != nil {
			g.close()
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(repo, ".switchyard.yaml"), []byte("privacy: "+privacy+"\n"), 0o644); err != nil {
			g.close()
			return nil, err
		}
	}
	cfg := strings.NewReplacer("{{OLLAMA}}", g.ollama.URL, "{{DEAD}}", dead, "{{MISTRAL}}", g.devstral.URL, "{{GEMINI}}", g.gemini.URL,
		"{{DIR}}", e.dir).Replace(soakConfig)
	if g.sy, err = startDaemon(e.bin, e.dir, cfg, []string{"DEAD_API_KEY=unused",
		"MISTRAL_API_KEY=" + mistralfake.DefaultAPIKey, "GEMINI_API_KEY=fake-key"}); err != nil {
		g.close()
		return nil, err
	}
	return g, nil
}

// atRest reads the daemon's goroutines and RSS with no request in flight
// and no idle connection open to it or from it: what is left is what
// switchyard itself keeps.
func (g *soakRig) atRest(clients ...*http.Client) (int, int64, error) {
	for _, c := range clients {
		c.CloseIdleConnections()
	}
	g.ollama.dropIdle()
	g.devstral.dropIdle()
	g.gemini.dropIdle()
	defer func() { g.ollama.keepIdle(); g.devstral.keepIdle(); g.gemini.keepIdle() }()
	time.Sleep(2 * time.Second)
	n, err := g.sy.goroutines()
	if err != nil {
		return 0, 0, err
	}
	rss, _, err := g.sy.memory()
	return n, rss, err
}

func runSoak(ctx context.Context, o options) error {
	ctx, cancel := context.WithTimeout(ctx, o.duration+5*time.Minute)
	defer cancel()
	e, cleanup, err := setup(ctx, o)
	if err != nil {
		return err
	}
	defer cleanup()
	g, err := startSoakRig(e)
	if err != nil {
		return err
	}
	defer g.close()
	progress("soak: warming up")
	client := newClient(64)
	res := &soakResult{Started: time.Now(), Concurrency: 64, Expected: map[string]int64{}, Switchyard: map[string]int64{}, ByScenario: map[string]int64{}}
	// One healthy request of each kind, to have every connection pool and
	// cache in use before the goroutines are counted.
	for i, sc := range []scenario{scenarios[0], scenarios[5], scenarios[9]} {
		if cat, cause, _ := g.request(ctx, client, sc, -1-i, i%2 == 0); cat != "ok" {
			return fmt.Errorf("warm-up %q failed: %s", sc.name, cause)
		}
	}
	if res.GoroutinesStart, _, err = g.atRest(client); err != nil {
		return err
	}
	rss, _, err := g.sy.memory()
	if err != nil {
		return err
	}
	res.RSSStartMiB = mib(rss)

	progress(fmt.Sprintf("soak: %s at concurrency 64", o.duration))
	var (
		mu       sync.Mutex
		next     atomic.Int64
		peak     atomic.Int64
		mid      atomic.Int64
		wg       sync.WaitGroup
		examples []string
	)
	start := time.Now()
	end := start.Add(o.duration)
	for range 64 {
		wg.Go(func() {
			for time.Now().Before(end) && ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				sc := scenarios[i%len(scenarios)]
				cat, cause, detail := g.request(ctx, client, sc, i, (i/len(scenarios))%2 == 0)
				mu.Lock()
				res.ByScenario[sc.name]++
				switch cat {
				case "ok":
					res.OK++
				case "expected":
					res.Expected[cause]++
				default:
					res.Switchyard[cause]++
					if len(examples) < 10 {
						examples = append(examples, fmt.Sprintf("#s%06d %s: %s", i, sc.name, detail))
					}
				}
				mu.Unlock()
			}
		})
	}
	sampler := time.NewTicker(time.Second)
	for done := false; !done; {
		select {
		case <-sampler.C:
			if r, _, err := g.sy.memory(); err == nil {
				peak.Store(max(peak.Load(), r))
				if time.Since(start) >= o.duration/2 && mid.Load() == 0 {
					mid.Store(r)
				}
			}
			done = time.Now().After(end)
		case <-ctx.Done():
			done = true
		}
	}
	sampler.Stop()
	wg.Wait()
	res.Seconds = time.Since(start).Seconds()
	res.Requests = res.OK
	for _, n := range res.Expected {
		res.Requests += n
	}
	for _, n := range res.Switchyard {
		res.Requests += n
	}
	res.Examples = examples
	res.Injected = g.in.counts()
	var rssEnd int64
	if res.GoroutinesEnd, rssEnd, err = g.atRest(client); err != nil {
		return err
	}
	res.RSSEndMiB, res.RSSMidMiB, res.RSSPeakMiB = mib(rssEnd), mib(mid.Load()), mib(peak.Load())
	res.NoSwitchyardError = len(res.Switchyard) == 0
	// No growth: as many goroutines at rest as before the soak (two spare
	// for the runtime's own), and memory no higher at the end than halfway
	// (a working set levels off; a leak keeps climbing).
	res.NoGrowth = res.GoroutinesEnd <= res.GoroutinesStart+2 && (res.RSSMidMiB == 0 || res.RSSEndMiB <= res.RSSMidMiB*1.1+4)
	if err := g.sy.stop(); err != nil {
		return fmt.Errorf("switchyard did not stop cleanly after the soak: %w", err)
	}
	g.sy = nil
	if err := res.write(o.out); err != nil {
		return err
	}
	progress("wrote " + o.out + "/soak.md and soak.json")
	if !res.NoSwitchyardError || !res.NoGrowth {
		return fmt.Errorf("soak failed: %d kinds of error switchyard caused, goroutines %d → %d, RSS %.1f → %.1f MiB",
			len(res.Switchyard), res.GoroutinesStart, res.GoroutinesEnd, res.RSSMidMiB, res.RSSEndMiB)
	}
	return nil
}

// request sends soak request i of scenario sc and classifies the answer:
// "ok" (complete and right), "expected" (an error an injected failure
// explains) or "switchyard" (anything else), with a cause and details.
func (g *soakRig) request(ctx context.Context, c *http.Client, sc scenario, i int, stream bool) (cat, cause, detail string) {
	repo := g.publicRepo
	if sc.private {
		repo = g.privRepo
	}
	last := fmt.Sprintf("#s%06d %s please answer", i, sc.directives)
	body := shortConversation(repo).request(last, stream)
	h := http.Header{"X-Switchyard-Repo": {repo}}
	if sc.heavy {
		h.Set("X-Switchyard-Files", "9")
	}
	rctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	a, err := post(rctx, c, g.sy.URL+"/v1/chat/completions", body, h)
	if err != nil {
		return "switchyard", "request failed", err.Error()
	}
	route := a.header.Get("X-Switchyard-Route")
	want := map[string]string{"local": "You said: " + last, "devstral": "ok", "gemini": "ok"}[route]
	if route == "local" && strings.Contains(sc.directives, "local=slow") {
		want = slowText
	}
	if a.status != http.StatusOK {
		var env struct {
			Error struct {
				Message string `json:"message"`
				Code    string `json:"code"`
			} `json:"error"`
		}
		if json.Unmarshal(a.body, &env) != nil || env.Error.Code == "" {
			return "switchyard", fmt.Sprintf("HTTP %d without an OpenAI error", a.status), string(a.body)
		}
		cat, cause, detail := classifyError(sc, env.Error.Code, env.Error.Message, false)
		return cat, planned(sc, a.header, cat, cause), detail + routeOf(a.header)
	}
	var got string
	if stream {
		s, err := readStream(a.body)
		switch {
		case err != nil:
			return "switchyard", "malformed stream", err.Error()
		case s.Error != "" && s.Content != "":
			cat, cause, detail := classifyError(sc, "cut", s.Error, true)
			return cat, planned(sc, a.header, cat, cause), detail + routeOf(a.header)
		case s.Error != "":
			// Keep-alives had gone out, so the error came as an event.
			cat, cause, detail := classifyError(sc, codeOf(s.Error), s.Error, false)
			return cat, planned(sc, a.header, cat, cause), detail + routeOf(a.header)
		case !s.Done:
			return "switchyard", "stream ended without [DONE] or an error", string(a.body)
		}
		got = s.Content
	} else {
		var cc struct {
			Choices []struct {
				Message struct {
					Content string `json:"content"`
				} `json:"message"`
			} `json:"choices"`
		}
		if json.Unmarshal(a.body, &cc) != nil || len(cc.Choices) == 0 {
			return "switchyard", "malformed completion", string(a.body)
		}
		got = cc.Choices[0].Message.Content
	}
	if got != want {
		return "switchyard", "wrong content from " + route, fmt.Sprintf("got %q, the upstream sent %q", got, want)
	}
	return "ok", "", ""
}

// planned refines the cause of an error switchyard caused: when none of
// the providers that would have answered was in the plan, the health
// cool-down left them out (a provider is skipped after repeated failures,
// here other requests' injected ones), which is a policy outcome rather
// than a fault in serving.
func planned(sc scenario, h http.Header, cat, cause string) string {
	if cat != "switchyard" || sc.answer == "" {
		return cause
	}
	plan := strings.Split(h.Get("X-Switchyard-Plan"), ",")
	for _, p := range strings.Fields(sc.answer) {
		if slices.Contains(plan, p) {
			return cause
		}
	}
	return "cool-down: the plan left out every provider that could answer (" + sc.answer + ")"
}

// routeOf is the routing headers of an answer, for the examples.
func routeOf(h http.Header) string {
	return fmt.Sprintf(" [privacy %s, reason %s, plan %s, route %s, fallback %q]", h.Get("X-Switchyard-Privacy"),
		h.Get("X-Switchyard-Reason"), h.Get("X-Switchyard-Plan"), h.Get("X-Switchyard-Route"), h.Get("X-Switchyard-Fallback"))
}

// classifyError decides whether an error was the injected failure's doing.
func classifyError(sc scenario, code, message string, cut bool) (string, string, string) {
	if cut {
		if sc.mayCutStream {
			return "expected", sc.name + ": cut mid-stream, reported as an error event without [DONE]", ""
		}
		return "switchyard", "cut mid-stream where nothing was cut", message
	}
	switch code {
	case "upstream_error", "upstream_unavailable", "upstream_timeout", "rate_limited":
		if sc.mayFail {
			return "expected", sc.name + ": " + code, ""
		}
	}
	return "switchyard", fmt.Sprintf("%s where a provider could answer", code), message
}

// codeOf guesses an error event's code from its message, for the cause
// column; an error event carries the same envelope as an HTTP error.
func codeOf(msg string) string {
	switch {
	case strings.Contains(msg, "rate"):
		return "rate_limited"
	case strings.Contains(msg, "in time") || strings.Contains(msg, "timeout"):
		return "upstream_timeout"
	}
	return "upstream_error"
}

func (r *soakResult) write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	j, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "soak.json"), append(j, '\n'), 0o644); err != nil {
		return err
	}
	var b strings.Builder
	pass := func(ok bool) string {
		if ok {
			return "PASS"
		}
		return "FAIL"
	}
	fmt.Fprintf(&b, "# switchyard soak\n\n%s, %.0f s at concurrency %d: %d requests, %d answered correctly.\n\n",
		r.Started.Format(time.RFC3339), r.Seconds, r.Concurrency, r.Requests, r.OK)
	fmt.Fprintf(&b, "| target | measured | pass |\n|---|---|---|\n")
	fmt.Fprintf(&b, "| no error caused by switchyard | %d | %s |\n", sum(r.Switchyard), pass(r.NoSwitchyardError))
	fmt.Fprintf(&b, "| no growth: goroutines at rest | %d → %d | %s |\n", r.GoroutinesStart, r.GoroutinesEnd, pass(r.GoroutinesEnd <= r.GoroutinesStart+2))
	fmt.Fprintf(&b, "| no growth: RSS halfway → end (start %.1f, peak %.1f MiB) | %.1f → %.1f MiB | %s |\n",
		r.RSSStartMiB, r.RSSPeakMiB, r.RSSMidMiB, r.RSSEndMiB, pass(r.NoGrowth))
	table := func(title string, m map[string]int64) {
		fmt.Fprintf(&b, "\n## %s\n\n| cause | count |\n|---|---:|\n", title)
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "| %s | %d |\n", k, m[k])
		}
		if len(keys) == 0 {
			fmt.Fprintf(&b, "| none | 0 |\n")
		}
	}
	table("Errors caused by an injected failure, as expected", r.Expected)
	table("Errors caused by switchyard", r.Switchyard)
	for _, e := range r.Examples {
		fmt.Fprintf(&b, "- %s\n", e)
	}
	table("Failures injected by the fakes", r.Injected)
	table("Requests by scenario", r.ByScenario)
	return os.WriteFile(filepath.Join(dir, "soak.md"), []byte(b.String()), 0o644)
}

func sum(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

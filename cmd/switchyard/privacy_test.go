package main

// The privacy proof: switchyard's first promise — a job from a private
// repository never leaves the machine, not on a fallback, not on an error
// path, not when a policy file is broken — tested as a whole, through the
// real wiring (build: workspace store, tokenizer, secrets scanner, router)
// over HTTP, against the local Ollama fake and both cloud fakes configured
// with valid keys.
//
// Every job is generated at random (the seed is logged; rerun one with
// SWITCHYARD_PRIVACY_SEED=<n>). A job that must stay on the machine carries
// a unique marker in every part of its content; every credential is built
// at run time around a per-run nonce. After the run the cloud fakes' own
// records of what they received, and the egress audit log, must hold none
// of them, and public jobs must have reached the cloud often enough that
// the test cannot pass by sending nothing.
//
// Faults are the fakes' own scripted replies (429, 5xx, cuts, delays) in
// each vendor's wire format. A fake's script is a queue with no reset, so
// each fake sits behind a gate (privGate, privOllamaGate) that hands the
// fake the current job's next scripted reply only when a request really
// arrives, and drains whatever that request left unconsumed before the next
// one: no reply can leak from one job into another.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"maps"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/switchyard/switchyard/ingress"
	"github.com/switchyard/switchyard/ingress/dialects"

	"go.uber.org/goleak"

	"github.com/switchyard/switchyard/configs"
	"github.com/switchyard/switchyard/policy/secrets"
	"github.com/switchyard/switchyard/providers/gemini/geminifake"
	"github.com/switchyard/switchyard/providers/mistral/mistralfake"
	"github.com/switchyard/switchyard/providers/ollama/ollamafake"
	"github.com/switchyard/switchyard/router/audit"
)

// privJobCount is the number of jobs the proof runs (the brief asks for at
// least 10,000); -short runs a tenth of them.
const privJobCount = 10000

// Marker prefixes. A job whose content may never reach a cloud carries
// privKeepMark; one that may carries privPubMark. Both are followed by the
// run's nonce and the job's number.
const (
	privKeepMark = "PRIVMARK-"
	privPubMark  = "PUBMARK-"
	privGapMark  = "GAPMARK-"
)

// privKnownGaps are cases where the contract makes a job private and
// switchyard does not yet: the proof still generates them (with
// privGapMark, so the scans below tell them apart) and reports how many
// leaked instead of failing. Empty: the three found by this proof (a stated
// directory that does not exist yet, a stated path that is a file, a
// dangling .switchyard.yaml link) are fixed and TestPrivacyLookupGaps keeps
// them fixed.
var privKnownGaps = map[string]string{}

// Keys the cloud fakes accept; the daemon reads them from its environment.
const (
	privMistralKey = "mistral-privacy-proof-key"
	privGeminiKey  = "gemini-privacy-proof-key"
)

func TestPrivacyProof(t *testing.T) {
	leaks := goleak.IgnoreCurrent()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("SWITCHYARD_PRIVACY_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("SWITCHYARD_PRIVACY_SEED: %v", err)
		}
		seed = n
	}
	t.Logf("seed %d (rerun with SWITCHYARD_PRIVACY_SEED=%d)", seed, seed)
	// The Gemini SDK prints "Error unexpected EOF" through the standard
	// logger for every cut stream; the proof scripts hundreds.
	defer log.SetOutput(log.Writer())
	log.SetOutput(io.Discard)
	jobs := privJobCount
	if testing.Short() {
		jobs /= 10
	}
	start := time.Now()
	rig := newPrivRig(t, seed)
	rig.run(t, jobs)
	rig.finalChecks(t)
	rig.report(t, time.Since(start))
	rig.close()
	goleak.VerifyNone(t, leaks)
}

// privRig is the whole setup: repositories, fakes behind their gates, the
// egress log, and the tallies.
type privRig struct {
	rng   *mrand.Rand
	nonce string // in every marker
	// credNonce is in every planted credential, and nowhere else.
	credNonce string
	root      string
	repos     *privRepos
	ex        []privExcerpt

	ollama    *ollamafake.Server
	localGate *privOllamaGate
	mistral   *mistralfake.Server
	gemini    *geminifake.Server
	devGate   *privGate
	gemGate   *privGate

	auditPath string
	egress    *audit.Log
	client    *http.Client

	// jobsByID is every job sent, by the request id switchyard gave it.
	jobsByID map[string]*privJob
	stats    privStats
	// creds are every credential planted, for the final scan.
	creds []string
}

func newPrivRig(t *testing.T, seed uint64) *privRig {
	t.Helper()
	r := &privRig{
		rng:       mrand.New(mrand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		nonce:     privNonce(),
		credNonce: privCredNonce(),
		root:      t.TempDir(),
		jobsByID:  map[string]*privJob{},
		stats:     newPrivStats(),
	}
	r.repos = makePrivRepos(t, r.root)
	r.ex = loadPrivExcerpts(t)

	r.ollama = ollamafake.New(ollamafake.Options{Models: []ollamafake.Model{ollamafake.Qwen3Coder30B()}})
	r.localGate = newPrivOllamaGate(r.ollama)
	r.mistral = mistralfake.Start(mistralfake.Options{APIKey: privMistralKey})
	r.gemini = geminifake.New(geminifake.Options{Key: privGeminiKey})
	r.devGate = newPrivGate("devstral", strings.TrimSuffix(r.mistral.URL, "/v1"), "/v1/chat/completions",
		func(rep any) { r.mistral.Enqueue(rep.(mistralfake.Reply)) }, mistralDrain(r.mistral.URL))
	r.gemGate = newPrivGate("gemini", r.gemini.URL, ":",
		func(rep any) { r.gemini.Enqueue(rep.(geminifake.Reply)) }, geminiDrain(r.gemini.URL))

	r.auditPath = filepath.Join(r.root, "state", "egress.jsonl")
	var err error
	if r.egress, err = audit.Open(r.auditPath, 0); err != nil {
		t.Fatal(err)
	}
	r.client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	return r
}

func (r *privRig) close() {
	r.client.CloseIdleConnections()
	r.devGate.close()
	r.gemGate.close()
	r.localGate.close()
	r.mistral.Close()
	r.gemini.Close()
	r.egress.Close()
}

// privEnv is the daemon's environment: the cloud fakes' keys.
func privEnv(k string) (string, bool) {
	switch k {
	case "PRIV_MISTRAL_KEY":
		return privMistralKey, true
	case "PRIV_GEMINI_KEY":
		return privGeminiKey, true
	}
	return "", false
}

// privNonce is twelve random digits: digits fit every credential's
// alphabet, so each planted credential can carry it.
func privNonce() string {
	var b [12]byte
	rand.Read(b[:])
	for i := range b {
		b[i] = '0' + b[i]%10
	}
	return string(b[:])
}

// privCredNonce is twelve characters alternating upper-case letters and
// digits: that fits every credential alphabet (AWS key ids are [A-Z0-9]),
// and unlike a run of digits it does not make a password look like a
// number to the scanner.
func privCredNonce() string {
	var b [12]byte
	rand.Read(b[:])
	for i := range b {
		if i%2 == 0 {
			b[i] = 'A' + b[i]%26
		} else {
			b[i] = '0' + b[i]%10
		}
	}
	return string(b[:])
}

// ---------------------------------------------------------------- segments

// privSegment is one configuration, wired once and used for a run of jobs:
// the knobs that are per daemon rather than per job.
type privSegment struct {
	n             int
	defaultPublic bool
	secrets       string // local | refuse
	// local: "up" (the gate in front of the Ollama fake), "dead" (nothing
	// listens; the window is configured), "dead-unknown" (nothing listens
	// and the window was never learned).
	local       string
	autoWindow  bool // context_window 0: the window comes from /api/show and memory
	geminiFirst bool
	// fast: 100 ms first-byte timeouts everywhere, so scripted delays trip
	// them.
	fast           bool
	devstralWindow int
	// pool: local is pooled with spark, an Ollama on premises (local:
	// true) where nothing listens, first in the list when sparkFirst.
	pool, sparkFirst bool
}

func (r *privRig) newSegment(n int) privSegment {
	s := privSegment{n: n, defaultPublic: r.rng.IntN(2) == 0, secrets: "local", local: "up",
		geminiFirst: r.rng.IntN(2) == 0, fast: r.rng.IntN(4) == 0, devstralWindow: 262144}
	if r.rng.IntN(3) == 0 {
		s.secrets = "refuse"
	}
	switch x := r.rng.IntN(10); {
	case x == 0:
		s.local = "dead"
	case x == 1:
		s.local = "dead-unknown"
	case x < 4:
		s.autoWindow = true
	}
	if r.rng.IntN(3) == 0 {
		s.devstralWindow = 65536
	}
	s.pool, s.sparkFirst = r.rng.IntN(3) == 0, r.rng.IntN(2) == 0
	return s
}

func (s privSegment) config(t *testing.T, r *privRig) configs.Config {
	localURL, window, memory := r.localGate.url(), 32768, configs.ByteSize(64<<30)
	switch s.local {
	case "dead":
		localURL = "http://127.0.0.1:1"
	case "dead-unknown":
		localURL, window = "http://127.0.0.1:1", 0
	}
	if s.autoWindow {
		window, memory = 0, 24<<30 // the memory arithmetic caps the native 262144
	}
	fbt, localFBT := 5*time.Second, time.Duration(0)
	if s.fast {
		fbt, localFBT = 100*time.Millisecond, 100*time.Millisecond
	}
	cfg := testConfig(t, t.TempDir(), localURL)
	cfg.Log.Level = "error"
	local := &cfg.Providers[0]
	local.Memory, local.ContextWindow, local.FirstByteTimeout = memory, window, localFBT
	if s.pool {
		onPremises := true
		spark := ollamaProvider("spark", "http://127.0.0.1:1")
		spark.Local, spark.ContextWindow, spark.FirstByteTimeout = &onPremises, 32768, localFBT
		if s.sparkFirst {
			cfg.Providers = append([]configs.Provider{spark}, cfg.Providers...)
		} else {
			cfg.Providers = append(cfg.Providers, spark)
		}
		cfg.Pools = []configs.Pool{{Name: "office", Members: []string{"local", "spark"}}}
	}
	dev := cloudProvider("devstral", configs.KindMistral, r.devGate.url()+"/v1", "devstral-latest", "PRIV_MISTRAL_KEY", s.devstralWindow)
	gem := cloudProvider("gemini", configs.KindGemini, r.gemGate.url(), "gemini-2.5-pro", "PRIV_GEMINI_KEY", 1048576)
	dev.FirstByteTimeout, gem.FirstByteTimeout = fbt, fbt
	if s.geminiFirst {
		cfg.Providers = append(cfg.Providers, gem, dev)
	} else {
		cfg.Providers = append(cfg.Providers, dev, gem)
	}
	cfg.Policy.DefaultPrivacy = "private"
	if s.defaultPublic {
		cfg.Policy.DefaultPrivacy = "public"
	}
	cfg.Policy.Heavy.MinFiles, cfg.Policy.Heavy.MinTokens = 5, 6000
	cfg.Policy.Secrets = s.secrets
	return cfg
}

// ----------------------------------------------------------------- the run

func (r *privRig) run(t *testing.T, total int) {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	for n, done := 0, 0; done < total; n++ {
		seg := r.newSegment(n)
		cfg := readConfig(t, seg.config(t, r), privEnv)
		a, err := build(ctx, cfg, log, privEnv, appExtras{egress: r.egress})
		if err != nil {
			t.Fatalf("segment %d build: %v", n, err)
		}
		window := 0
		r.localGate.reset(nil, false) // the last job may have left Ollama "down"
		for _, lm := range a.locals {
			if lm.cfg.Name == "spark" {
				continue // nothing listens there
			}
			if seg.local == "up" {
				if err := lm.Prime(ctx); err != nil {
					t.Fatalf("segment %d: priming the local model: %v", n, err)
				}
			}
			window, _ = lm.Window()
		}
		srv := httptest.NewServer(a.router)
		count := min(total-done, 300+r.rng.IntN(400))
		pool := "none"
		if seg.pool {
			pool = "local+spark (down)"
			if seg.sparkFirst {
				pool = "spark (down)+local"
			}
		}
		r.stats.segments = append(r.stats.segments, fmt.Sprintf("%d jobs: default %s, secrets %s, local %s (window %d), pool %s, devstral window %d, gemini first %v, fast timeouts %v",
			count, map[bool]string{true: "public", false: "private"}[seg.defaultPublic], seg.secrets, seg.local, window, pool, seg.devstralWindow, seg.geminiFirst, seg.fast))
		for range count {
			j := r.newJob(t, &seg, window, done)
			r.do(t, srv.URL, &seg, j)
			done++
			if t.Failed() && r.stats.failures > 20 {
				srv.Close()
				a.close()
				t.FailNow()
			}
		}
		srv.Close()
		a.close()
	}
}

// do sends one job, then checks everything that must hold for it.
func (r *privRig) do(t *testing.T, base string, seg *privSegment, j *privJob) {
	r.localGate.reset(j.localScript, j.localDown)
	r.devGate.reset(j.devScript)
	r.gemGate.reset(j.gemScript)

	req, _ := http.NewRequest(http.MethodPost, base+j.path, bytes.NewReader(j.body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range j.headers {
		req.Header.Set(k, v)
	}
	began := time.Now()
	resp, err := r.client.Do(req)
	if err != nil {
		t.Fatalf("job %d (%s): %v", j.id, j.cat, err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	j.took = time.Since(began)
	if err != nil && !j.cutPossible() {
		t.Errorf("job %d (%s): reading the answer: %v", j.id, j.cat, err)
	}
	j.status = resp.StatusCode
	j.route = resp.Header.Get("X-Switchyard-Route")
	j.reason = resp.Header.Get("X-Switchyard-Reason")
	j.gotPrivacy = resp.Header.Get("X-Switchyard-Privacy")
	j.requestID = resp.Header.Get("X-Switchyard-Request-Id")
	r.jobsByID[j.requestID] = j

	dev, derr := r.devGate.taken()
	gem, gerr := r.gemGate.taken()
	if derr != nil || gerr != nil {
		t.Fatalf("job %d: %v %v", j.id, derr, gerr)
	}
	j.devSeen, j.gemSeen = len(dev), len(gem)
	fail := func(format string, args ...any) {
		if j.gap != "" {
			if !j.gapLeaked {
				j.gapLeaked = true
				r.stats.gapLeaks[j.gap]++
			}
			return
		}
		r.stats.failures++
		t.Errorf("job %d (%s, segment %d): %s\n  headers %v\n  status %d route %s reason %s privacy %s\n  body %.400s",
			j.id, j.cat, seg.n, fmt.Sprintf(format, args...), j.headers, j.status, j.route, j.reason, j.gotPrivacy, body)
	}

	if j.gotPrivacy != j.expect {
		fail("X-Switchyard-Privacy is %q, want %q", j.gotPrivacy, j.expect)
	}
	for _, b := range append(slices.Clone(dev), gem...) {
		if bytes.Contains(b, []byte(privKeepMark)) {
			fail("a job that must stay local reached a cloud: its marker left the machine")
		}
		for _, c := range j.creds {
			if bytes.Contains(b, []byte(c)) {
				fail("a planted credential reached a cloud")
			}
		}
	}
	if !j.mayLeave() {
		if len(dev)+len(gem) > 0 {
			fail("a job that must stay local sent %d requests to devstral and %d to gemini", len(dev), len(gem))
		}
		if j.route != "local" && j.route != "none" {
			fail("a job that must stay local was answered by %q", j.route)
		}
	}
	if j.clouds != nil && !slices.Contains(j.clouds, "gemini") && len(gem) > 0 {
		fail("the repository allows only %v, yet gemini received the job", j.clouds)
	}
	if j.clouds != nil && !slices.Contains(j.clouds, "devstral") && len(dev) > 0 {
		fail("the repository allows only %v, yet devstral received the job", j.clouds)
	}
	if !j.mayLeave() && j.pinnedCloud && j.status != http.StatusForbidden {
		fail("a private job pinned to a cloud got %d, want 403 privacy_policy", j.status)
	}
	if !j.mayLeave() && seg.local != "up" && j.status == http.StatusOK {
		fail("a private job was answered while nothing listens on the local provider's port")
	}
	if j.localDown && !j.mayLeave() && j.status == http.StatusOK {
		fail("a private job was answered while the local Ollama was dropping connections")
	}
	r.stats.count(j)
}

// ---------------------------------------------------------- final checks

func (r *privRig) finalChecks(t *testing.T) {
	nonce := []byte(r.credNonce)
	var devBodies, gemBodies int
	for _, q := range r.mistral.Requests() {
		r.checkRecorded(t, "devstral", q.Header, q.Body, nonce)
		if bytes.Contains(q.Body, []byte(privPubMark)) {
			devBodies++
		}
	}
	for _, q := range r.gemini.Requests() {
		r.checkRecorded(t, "gemini", q.Header, q.Body, nonce)
		if bytes.Contains(q.Body, []byte(privPubMark)) {
			gemBodies++
		}
	}
	r.stats.devBodies, r.stats.gemBodies = devBodies, gemBodies

	// The egress log: every job it names was one that could leave, and it
	// says public; every job that reached a cloud is in it.
	f, err := os.Open(r.auditPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	egressed := map[string]bool{}
	for sc.Scan() {
		var rec audit.Record
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("egress log line %q: %v", sc.Text(), err)
		}
		if bytes.Contains(sc.Bytes(), []byte(privKeepMark)) || bytes.Contains(sc.Bytes(), nonce) {
			t.Errorf("the egress log holds a private marker or a credential: %s", sc.Text())
		}
		if rec.Event != audit.EventEgress {
			continue
		}
		r.stats.egress++
		j := r.jobsByID[rec.RequestID]
		switch {
		case j == nil:
			t.Errorf("egress record for a request no job made: %s", sc.Text())
		case j.gap != "":
			// Tallied when the job ran.
		case !j.mayLeave():
			t.Errorf("egress record for job %d (%s), which must stay local: %s", j.id, j.cat, sc.Text())
		case rec.Privacy != "public":
			t.Errorf("egress record with privacy %q: %s", rec.Privacy, sc.Text())
		case r.repos.isPrivatePath(rec.Repo):
			t.Errorf("egress record names private repository %s: %s", rec.Repo, sc.Text())
		}
		if j != nil {
			egressed[rec.RequestID] = true
		}
	}
	for id, j := range r.jobsByID {
		if j.devSeen+j.gemSeen > 0 && !egressed[id] {
			t.Errorf("job %d (%s) reached a cloud but the egress log has no record of it", j.id, j.cat)
		}
	}

	// Positively: public jobs did reach the cloud, on both providers.
	s := &r.stats
	if s.eligible == 0 || float64(s.reached)/float64(s.eligible) < 0.3 {
		t.Errorf("only %d of %d public jobs that could go to the cloud reached one", s.reached, s.eligible)
	}
	if min(devBodies, gemBodies) < len(r.jobsByID)/50 {
		t.Errorf("devstral received %d public jobs' requests and gemini %d; each should have many", devBodies, gemBodies)
	}
	if s.privateOK < s.privateJobs/4 {
		t.Errorf("only %d of %d private jobs were answered locally: the proof needs most of them served", s.privateOK, s.privateJobs)
	}
}

// checkRecorded scans one request a cloud fake recorded: no private job's
// marker, no credential, no private repository's path, in body or headers.
func (r *privRig) checkRecorded(t *testing.T, fake string, h http.Header, body, nonce []byte) {
	var hdr bytes.Buffer
	h.Write(&hdr)
	for _, where := range [][]byte{body, hdr.Bytes()} {
		if i := bytes.Index(where, []byte(privKeepMark)); i >= 0 {
			t.Errorf("%s received a private job's content: …%.120s…", fake, where[i:])
		}
		if bytes.Contains(where, nonce) {
			t.Errorf("%s received a planted credential", fake)
		}
		for _, p := range r.repos.privatePaths() {
			if bytes.Contains(where, []byte(p)) {
				t.Errorf("%s received the path of private repository %s", fake, p)
			}
		}
	}
}

// ------------------------------------------------------------------ stats

type privStats struct {
	byCat       map[string]*privCatStats
	gapLeaks    map[string]int
	gapJobs     map[string]int
	segments    []string
	failures    int
	eligible    int // public, no credential, some cloud allowed, not pinned local
	reached     int
	privateJobs int
	privateOK   int
	egress      int
	devBodies   int
	gemBodies   int
}

type privCatStats struct {
	jobs, ok, local, cloud, refused, failed int
	// leftMachine counts jobs that reached a cloud.
	leftMachine int
	took        time.Duration
}

func newPrivStats() privStats {
	return privStats{byCat: map[string]*privCatStats{}, gapLeaks: map[string]int{}, gapJobs: map[string]int{}}
}

// count tallies the job under its category (the part of j.cat before the
// first '+') and under each modifier after it.
func (s *privStats) count(j *privJob) {
	parts := strings.Split(j.cat, "+")
	for i, p := range parts {
		if i > 0 {
			p = "  +" + p
		}
		c := s.byCat[p]
		if c == nil {
			c = &privCatStats{}
			s.byCat[p] = c
		}
		c.add(j)
	}
	if j.gap != "" {
		s.gapJobs[j.gap]++
	}
	if !j.mayLeave() {
		s.privateJobs++
		if j.status == http.StatusOK {
			s.privateOK++
		}
		return
	}
	if j.model != "local" && (j.clouds == nil || len(j.clouds) > 0) {
		s.eligible++
		if j.devSeen+j.gemSeen > 0 {
			s.reached++
		}
	}
}

func (c *privCatStats) add(j *privJob) {
	c.jobs++
	c.took += j.took
	switch {
	case j.status == http.StatusOK && j.route == "local":
		c.ok++
		c.local++
	case j.status == http.StatusOK:
		c.ok++
		c.cloud++
	case j.status == http.StatusBadRequest || j.status == http.StatusForbidden:
		c.refused++
	default:
		c.failed++
	}
	if j.devSeen+j.gemSeen > 0 {
		c.leftMachine++
	}
}

func (r *privRig) report(t *testing.T, took time.Duration) {
	s := &r.stats
	var b strings.Builder
	fmt.Fprintf(&b, "privacy proof: %d jobs in %d segments, %s\n", len(r.jobsByID), len(s.segments), took.Round(time.Millisecond))
	for i, seg := range s.segments {
		fmt.Fprintf(&b, "  segment %d: %s\n", i, seg)
	}
	fmt.Fprintf(&b, "  %-48s %6s %6s %6s %6s %7s %6s %8s %9s\n", "category / +modifier", "jobs", "ok", "local", "cloud", "refused", "error", "to cloud", "ms/job")
	keys := slices.Collect(maps.Keys(s.byCat))
	slices.SortFunc(keys, func(a, b string) int {
		// Categories first, then modifiers.
		if ma, mb := strings.HasPrefix(a, " "), strings.HasPrefix(b, " "); ma != mb {
			if ma {
				return 1
			}
			return -1
		}
		return strings.Compare(a, b)
	})
	for _, k := range keys {
		c := s.byCat[k]
		fmt.Fprintf(&b, "  %-48s %6d %6d %6d %6d %7d %6d %8d %9.2f\n", k, c.jobs, c.ok, c.local, c.cloud, c.refused, c.failed, c.leftMachine,
			float64(c.took.Microseconds())/1000/float64(c.jobs))
	}
	for _, k := range slices.Sorted(maps.Keys(privKnownGaps)) {
		fmt.Fprintf(&b, "  known gap %s: %d of %d jobs went wrong (%s)\n", k, s.gapLeaks[k], s.gapJobs[k], privKnownGaps[k])
	}
	fmt.Fprintf(&b, "  must-stay-local jobs: %d, answered locally %d\n", s.privateJobs, s.privateOK)
	fmt.Fprintf(&b, "  public jobs that could go to a cloud: %d, reached one %d (%.0f%%)\n", s.eligible, s.reached, 100*float64(s.reached)/float64(max(1, s.eligible)))
	fmt.Fprintf(&b, "  cloud requests carrying public jobs: devstral %d, gemini %d; egress records %d\n", s.devBodies, s.gemBodies, s.egress)
	t.Log(b.String())
}

// ------------------------------------------------------------------ gates

// privGate stands in front of a cloud fake. For each chat request it hands
// the fake the current job's next scripted reply, forwards the request
// untouched, remembers its body, and then drains the fake's script with a
// request of its own, so a reply the request did not consume (it was
// refused before reaching the script, or cancelled) cannot reach the next
// job. Requests are served one at a time.
type privGate struct {
	name    string
	srv     *httptest.Server
	proxy   *httputil.ReverseProxy
	tr      *http.Transport
	isChat  string
	enqueue func(any)
	drain   func(*http.Client) error

	serial  sync.Mutex // one request at a time, drain included
	mu      sync.Mutex
	script  []any
	bodies  [][]byte
	drainer *http.Client
	// drainErr is the first drain that went wrong: the fake refused it,
	// so a scripted reply may be left for the next job.
	drainErr error
}

func newPrivGate(name, target, chatPathPart string, enqueue func(any), drain func(*http.Client) error) *privGate {
	u, _ := url.Parse(target)
	g := &privGate{name: name, isChat: chatPathPart, enqueue: enqueue, drain: drain, tr: &http.Transport{}}
	g.drainer = &http.Client{Transport: &http.Transport{}, Timeout: 5 * time.Second}
	g.proxy = &httputil.ReverseProxy{
		Rewrite:       func(pr *httputil.ProxyRequest) { pr.SetURL(u); pr.Out.Host = u.Host },
		FlushInterval: -1,
		Transport:     g.tr,
		ErrorLog:      log.New(io.Discard, "", 0),
	}
	g.srv = httptest.NewServer(g)
	return g
}

func (g *privGate) url() string { return g.srv.URL }

func (g *privGate) close() {
	g.srv.Close()
	g.tr.CloseIdleConnections()
	g.drainer.CloseIdleConnections()
}

// reset gives the gate a job's script (one reply per request that reaches
// the fake, in order; then the fake's default answer) and forgets the
// bodies of the last job.
func (g *privGate) reset(script []any) {
	g.serial.Lock()
	defer g.serial.Unlock()
	g.mu.Lock()
	defer g.mu.Unlock()
	g.script, g.bodies = script, nil
}

// taken returns the bodies of the chat requests switchyard sent since the
// last reset, and the first drain error ever seen.
func (g *privGate) taken() ([][]byte, error) {
	g.serial.Lock()
	defer g.serial.Unlock()
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.bodies, g.drainErr
}

func (g *privGate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.serial.Lock()
	defer g.serial.Unlock()
	if r.Method != http.MethodPost || !strings.Contains(r.URL.Path, g.isChat) {
		g.proxy.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	g.mu.Lock()
	g.bodies = append(g.bodies, body)
	var next any
	if len(g.script) > 0 {
		next, g.script = g.script[0], g.script[1:]
	}
	g.mu.Unlock()
	if next != nil {
		g.enqueue(next)
		defer func() {
			// Runs even when the proxy aborts a cut stream by panicking.
			if err := g.drain(g.drainer); err != nil {
				g.mu.Lock()
				if g.drainErr == nil {
					g.drainErr = fmt.Errorf("%s gate: drain: %w", g.name, err)
				}
				g.mu.Unlock()
			}
		}()
	}
	g.proxy.ServeHTTP(w, r)
}

// mistralDrain sends the smallest request Mistral accepts, so it takes the
// next scripted reply if one is left; a delayed one is cut short by the
// client's timeout, which the fake honours.
func mistralDrain(base string) func(*http.Client) error {
	return func(c *http.Client) error {
		return privDrain(c, base+"/chat/completions", map[string]string{"Authorization": "Bearer " + privMistralKey},
			`{"model":"devstral-latest","messages":[{"role":"user","content":"drain"}]}`)
	}
}

func geminiDrain(base string) func(*http.Client) error {
	return func(c *http.Client) error {
		return privDrain(c, base+"/v1beta/models/gemini-2.5-pro:generateContent", map[string]string{"x-goog-api-key": privGeminiKey},
			`{"contents":[{"role":"user","parts":[{"text":"drain"}]}]}`)
	}
}

func privDrain(c *http.Client, u string, hdr map[string]string, body string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil // a delayed reply, consumed and cut short
		}
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound, http.StatusUnprocessableEntity:
		// Refused before the script: the drain took nothing.
		return fmt.Errorf("the fake refused the drain request with %d", resp.StatusCode)
	}
	return nil
}

// privOllamaGate serves the Ollama fake in-process behind a real listener.
// Like privGate it scripts per request and drains after; "down" drops every
// connection as it arrives, as a crashed or restarting Ollama does.
type privOllamaGate struct {
	fake   *ollamafake.Server
	srv    *httptest.Server
	serial sync.Mutex
	mu     sync.Mutex
	script []ollamafake.Reply
	down   bool
}

func newPrivOllamaGate(f *ollamafake.Server) *privOllamaGate {
	g := &privOllamaGate{fake: f}
	g.srv = httptest.NewServer(g)
	return g
}

func (g *privOllamaGate) url() string { return g.srv.URL }
func (g *privOllamaGate) close()      { g.srv.Close() }

func (g *privOllamaGate) reset(script []ollamafake.Reply, down bool) {
	g.serial.Lock()
	defer g.serial.Unlock()
	g.mu.Lock()
	defer g.mu.Unlock()
	g.script, g.down = script, down
}

func (g *privOllamaGate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.serial.Lock()
	defer g.serial.Unlock()
	g.mu.Lock()
	down := g.down
	var next *ollamafake.Reply
	if !down && r.Method == http.MethodPost && r.URL.Path == "/api/chat" && len(g.script) > 0 {
		next = &g.script[0]
		g.script = g.script[1:]
	}
	g.mu.Unlock()
	if down {
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			if tc, ok := conn.(interface{ SetLinger(int) error }); ok {
				tc.SetLinger(0) // a reset, not a polite close
			}
			conn.Close()
		}
		return
	}
	if next == nil {
		g.fake.ServeHTTP(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	g.fake.Enqueue(*next)
	defer g.drainLocal(body)
	g.fake.ServeHTTP(w, r)
}

// drainLocal takes a scripted reply the request left, with a request that
// asks for the same window (so the fake does not count a reload) and whose
// context is already over (so a delayed reply costs nothing).
func (g *privOllamaGate) drainLocal(orig []byte) {
	var o struct {
		Options map[string]any `json:"options"`
	}
	json.Unmarshal(orig, &o)
	b, _ := json.Marshal(map[string]any{"model": "qwen3-coder:30b", "stream": false,
		"messages": []map[string]string{{"role": "user", "content": "drain"}}, "options": o.Options})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/api/chat", bytes.NewReader(b))
	g.fake.ServeHTTP(httptest.NewRecorder(), req)
}

// --------------------------------------------------------------- repos

// privRepos are the repositories jobs belong to, each a real directory
// with (or without) a real .switchyard.yaml.
type privRepos struct {
	public     []string // privacy: public
	private    []string // privacy: private
	onlyDev    string   // public, clouds: [devstral]
	noClouds   string   // public, clouds: []
	noPolicy   string   // no file up to the root
	nestedPriv string   // a private directory inside public[0]
	privSubdir string   // an existing subdirectory of private[0]
	headerPriv string   // private; used only where a header names a public repo
	// linkIntoPriv is a link in public[1] to private[1]; linkOutOfPriv a
	// link in private[1] to public[2].
	linkIntoPriv, linkOutOfPriv string
	broken                      map[string]string
	unreadable                  string // mode 000; private only if this process cannot read it
	unreadableP                 string // what it means to this process
	// suspects are directories the contract makes private (they are in or
	// under a private repository, or their policy file cannot be read) where
	// the lookup may disagree.
	suspects map[string]string
}

func makePrivRepos(t *testing.T, root string) *privRepos {
	t.Helper()
	write := func(dir, content string) string {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if content != "" {
			if err := os.WriteFile(filepath.Join(dir, ".switchyard.yaml"), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	src := filepath.Join(root, "src")
	rp := &privRepos{broken: map[string]string{}, suspects: map[string]string{}}
	for i := range 3 {
		rp.public = append(rp.public, write(filepath.Join(src, fmt.Sprintf("oss-%d", i)), "privacy: public\n"))
	}
	for i := range 2 {
		p := write(filepath.Join(src, fmt.Sprintf("acme-internal-%d", i)), "privacy: private\n")
		os.MkdirAll(filepath.Join(p, "src", "internal"), 0o755)
		os.WriteFile(filepath.Join(p, "src", "main.go"), []byte("package main\n"), 0o644)
		rp.private = append(rp.private, p)
	}
	rp.onlyDev = write(filepath.Join(src, "oss-devstral-only"), "privacy: public\nclouds: [devstral]\n")
	rp.noClouds = write(filepath.Join(src, "oss-no-clouds"), "privacy: public\nclouds: []\n")
	rp.noPolicy = write(filepath.Join(src, "scratch"), "")
	rp.nestedPriv = write(filepath.Join(rp.public[0], "vendor", "acme-sdk"), "privacy: private\n")
	rp.privSubdir = filepath.Join(rp.private[0], "src", "internal")
	rp.headerPriv = write(filepath.Join(src, "acme-header-case"), "privacy: private\n")
	rp.linkIntoPriv = filepath.Join(rp.public[1], "linked-acme")
	rp.linkOutOfPriv = filepath.Join(rp.private[1], "oss-view")
	for link, target := range map[string]string{rp.linkIntoPriv: rp.private[1], rp.linkOutOfPriv: rp.public[2]} {
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
	}

	broken := map[string]string{
		"invalid-yaml":  "privacy: [public\n",
		"unknown-key":   "privacy: public\ncloud: [gemini]\n",
		"capitalised":   "privacy: Public\n",
		"empty":         "\n",
		"two-documents": "privacy: public\n---\nprivacy: public\n",
		"too-big":       "privacy: public\n# " + strings.Repeat("x", 70<<10) + "\n",
		"not-a-mapping": "- privacy: public\n",
	}
	for name, content := range broken {
		rp.broken[name] = write(filepath.Join(src, "broken-"+name), content)
	}
	dirNamed := write(filepath.Join(src, "broken-dir-named"), "")
	os.Mkdir(filepath.Join(dirNamed, ".switchyard.yaml"), 0o755)
	rp.broken["directory"] = dirNamed
	fifo := write(filepath.Join(src, "broken-fifo"), "")
	if err := syscall.Mkfifo(filepath.Join(fifo, ".switchyard.yaml"), 0o644); err == nil {
		rp.broken["fifo"] = fifo
	}
	loop := write(filepath.Join(src, "broken-symlink-loop"), "")
	os.Symlink(".switchyard.yaml", filepath.Join(loop, ".switchyard.yaml"))
	rp.broken["symlink-loop"] = loop

	rp.unreadable = write(filepath.Join(src, "mode-000"), "privacy: public\n")
	os.Chmod(filepath.Join(rp.unreadable, ".switchyard.yaml"), 0)
	rp.unreadableP = "public"
	if _, err := os.ReadFile(filepath.Join(rp.unreadable, ".switchyard.yaml")); err != nil {
		rp.unreadableP = "private"
	}

	dangling := write(filepath.Join(src, "acme-dangling-policy"), "")
	os.Symlink(filepath.Join(root, "policies", "acme.yaml"), filepath.Join(dangling, ".switchyard.yaml"))
	gap := write(filepath.Join(src, "acme-gap"), "privacy: private\n")
	os.MkdirAll(filepath.Join(gap, "src"), 0o755)
	os.WriteFile(filepath.Join(gap, "src", "main.go"), []byte("package main\n"), 0o644)
	rp.suspects["missing-subdir"] = filepath.Join(gap, "build", "tmp-not-created")
	rp.suspects["file-as-dir"] = filepath.Join(gap, "src", "main.go")
	rp.suspects["dangling-policy-link"] = dangling
	return rp
}

// privatePaths are the paths no cloud may ever see: the private
// repositories', except headerPriv, whose path a header-wins job carries
// to the cloud by design (see privJob.headerWins).
func (rp *privRepos) privatePaths() []string {
	return append(slices.Clone(rp.private), rp.nestedPriv)
}

func (rp *privRepos) isPrivatePath(p string) bool {
	for _, q := range append(rp.privatePaths(), rp.headerPriv) {
		if p == q || strings.HasPrefix(p, q+"/") {
			return true
		}
	}
	return false
}

// ------------------------------------------------------------- excerpts

// privExcerpt is one real agent's directory statement from
// policy/workspace/testdata/agents (see its README.md), with the recorded
// project paths replaced by placeholders.
type privExcerpt struct {
	name, place string
	dirs        int // how many directories it states: 0, 1 or 2
	body        string
}

const (
	privPrimary   = "\x00PRIMARY\x00"
	privSecondary = "\x00SECONDARY\x00"
)

func loadPrivExcerpts(t *testing.T) []privExcerpt {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "policy", "workspace", "testdata", "agents", "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no agent excerpts: %v", err)
	}
	var out []privExcerpt
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		head, body, ok := strings.Cut(string(data), "# ---\n")
		if !ok {
			t.Fatalf("%s: no header", f)
		}
		e := privExcerpt{name: strings.TrimSuffix(filepath.Base(f), ".txt")}
		for _, line := range strings.Split(head, "\n") {
			k, v, _ := strings.Cut(strings.TrimPrefix(line, "# "), ":")
			switch k {
			case "place":
				e.place = strings.TrimSpace(v)
			case "want":
				e.dirs = len(strings.Fields(v))
			}
		}
		body = strings.ReplaceAll(body, "/home/dev/src/demo-app", privPrimary)
		body = strings.ReplaceAll(body, "/home/dev/src/shared-lib", privSecondary)
		body = strings.ReplaceAll(body, "/tmp/scratch-nogit", privPrimary)
		e.body = body
		out = append(out, e)
	}
	return out
}

func (e privExcerpt) fill(primary, secondary string) string {
	return strings.ReplaceAll(strings.ReplaceAll(e.body, privPrimary, primary), privSecondary, secondary)
}

// -------------------------------------------------------------------- jobs

// privJob is one generated job and what became of it.
type privJob struct {
	id  int
	cat string
	// expect is the privacy the contract gives the job.
	expect string
	// keep: the job may not leave the machine (its content carries
	// privKeepMark): private by repository, header or default, or it holds
	// a credential.
	keep bool
	// clouds are the only clouds allowed (nil: any).
	clouds      []string
	creds       []string
	model       string
	pinnedCloud bool
	headers     map[string]string
	body        []byte
	// path is the endpoint of the job's dialect: chat completions, or
	// Anthropic messages, Responses or Gemini for a quarter of the jobs
	// each.
	path        string
	localScript []ollamafake.Reply
	localDown   bool
	devScript   []any
	gemScript   []any

	status                    int
	route, reason, gotPrivacy string
	requestID                 string
	// gap names the privKnownGaps entry the job exercises; its failures
	// are tallied, not reported.
	gap              string
	gapLeaked        bool
	took             time.Duration
	devSeen, gemSeen int
	cuts             bool
}

func (j *privJob) mayLeave() bool { return !j.keep && j.expect == "public" }

func (j *privJob) cutPossible() bool { return j.cuts }

// privShape is what a job's content is built from.
type privShape struct {
	marker string
	// statement places the agent's directory statement.
	excerpt   *privExcerpt
	primary   string
	secondary string
	// extraSystem is appended to the system prompt (an inlined AGENTS.md).
	extraSystem string
	// planted is text a repository put in a tool result, an assistant turn
	// or a later user turn.
	planted      string
	plantedPlace string
	toolRounds   int
	bigBytes     int // one tool result this large
	cred         string
	credPlace    string
	// readPath is a file a tool call reads, whose content comes back;
	// readPrivate says the contract makes the job private for it.
	readPath    string
	readPrivate bool
}

func (r *privRig) newJob(t *testing.T, seg *privSegment, window, id int) *privJob {
	j := &privJob{id: id, headers: map[string]string{}, model: "auto"}
	sh := privShape{toolRounds: r.rng.IntN(4)}
	def := "private"
	if seg.defaultPublic {
		def = "public"
	}
	rp := r.repos
	pick := func(s []string) string { return s[r.rng.IntN(len(s))] }
	stated := func(e *privExcerpt) bool { return e.dirs > 0 }
	excerpt := func(want func(*privExcerpt) bool) *privExcerpt {
		for {
			e := &r.ex[r.rng.IntN(len(r.ex))]
			if want(e) {
				return e
			}
		}
	}
	// privacyOf is the contract's answer for one stated directory.
	privacyOf := func(dir string) string {
		switch {
		case slices.Contains(rp.public, dir), dir == rp.onlyDev, dir == rp.noClouds:
			return "public"
		case dir == rp.noPolicy:
			return def
		case dir == rp.unreadable:
			return rp.unreadableP
		}
		return "private"
	}
	stricter := func(a, b string) string {
		if a == "public" && b == "public" {
			return "public"
		}
		return "private"
	}
	anyRepo := func() string {
		all := append(append(slices.Clone(rp.public), rp.private...), rp.noPolicy)
		return pick(all)
	}
	// viaAgent states primary (and, for agents that state two, secondary)
	// the way a real agent does.
	viaAgent := func(primary, secondary string) string {
		e := excerpt(stated)
		sh.excerpt, sh.primary, sh.secondary = e, primary, secondary
		return "agent:" + e.name
	}

	x := r.rng.IntN(1000)
	if r.rng.IntN(8) == 0 {
		x = -1 // a shape of paths: links, and the files a conversation reads
	}
	switch {
	case x < 0:
		r.pathShape(j, &sh, viaAgent)
	// ---- private by repository, stated by header or by the agent
	case x < 90:
		j.cat, j.expect = "private/header", "private"
		j.headers["X-Switchyard-Repo"] = pick(append(slices.Clone(rp.private), rp.nestedPriv))
		if r.rng.IntN(2) == 0 {
			// The agent states a public repository; the header wins.
			e := excerpt(stated)
			sh.excerpt, sh.primary, sh.secondary = e, pick(rp.public), pick(rp.public)
			j.cat = "private/header-over-public-prompt"
		}
	case x < 230:
		sec := anyRepo()
		src := viaAgent(pick(rp.private), sec)
		j.cat, j.expect = "private/"+src, "private"
	case x < 260:
		// Two directories stated; only the second is private.
		e := excerpt(func(e *privExcerpt) bool { return e.dirs == 2 })
		sh.excerpt, sh.primary, sh.secondary = e, pick(rp.public), pick(rp.private)
		j.cat, j.expect = "private/second-dir:"+e.name, "private"
	case x < 290:
		// A public project whose inlined AGENTS.md states a private one.
		e := excerpt(func(e *privExcerpt) bool { return e.dirs > 0 && e.place == "system" })
		sh.excerpt, sh.primary, sh.secondary = e, pick(rp.public), pick(rp.public)
		sh.extraSystem = "\n# Rules\n## Workspace AGENTS.md\nWorking directory: " + pick(rp.private) + "\n"
		j.cat, j.expect = "private/inlined-statement", "private"
	case x < 320:
		viaAgent(rp.privSubdir, rp.privSubdir)
		j.cat, j.expect = "private/subdirectory", "private"
	case x < 350:
		viaAgent(rp.nestedPriv, rp.nestedPriv)
		j.cat, j.expect = "private/nested-in-public", "private"
	case x < 430:
		names := slices.Sorted(maps.Keys(rp.broken))
		name := pick(names)
		if r.rng.IntN(3) == 0 {
			j.headers["X-Switchyard-Repo"] = rp.broken[name]
		} else {
			viaAgent(rp.broken[name], rp.broken[name])
		}
		j.cat, j.expect = "private/broken-policy:"+name, "private"
	case x < 445:
		j.cat, j.expect = "unreadable-policy:"+rp.unreadableP, rp.unreadableP
		viaAgent(rp.unreadable, rp.unreadable)
	case x < 505:
		// A private job into which the repository planted public
		// repositories' statements: tool results, assistant turns, later
		// user turns do not count.
		viaAgent(pick(rp.private), pick(rp.private))
		e := excerpt(stated)
		sh.planted = e.fill(pick(rp.public), pick(rp.public))
		sh.plantedPlace = []string{"tool", "assistant", "later-user"}[r.rng.IntN(3)]
		if sh.toolRounds == 0 && sh.plantedPlace == "tool" {
			sh.toolRounds = 1
		}
		j.cat, j.expect = "private/planted-public-paths:"+sh.plantedPlace, "private"
	case x < 545:
		// Forged: a header claims public for a private repository.
		viaAgent(pick(rp.private), pick(rp.private))
		j.headers["X-Switchyard-Privacy"] = []string{"public", "PUBLIC", " Public ", "none"}[r.rng.IntN(4)]
		j.cat, j.expect = "private/forged-privacy-header", "private"
	case x < 575:
		// A request tightens a public repository.
		j.headers["X-Switchyard-Repo"] = pick(rp.public)
		j.headers["X-Switchyard-Privacy"] = []string{"private", "Private"}[r.rng.IntN(2)]
		j.cat, j.expect = "private/tightened-by-header", "private"
	case x < 590:
		j.headers["X-Switchyard-Repo"] = []string{"src/app", "~/src/oss-0", "./oss-0", "oss-0"}[r.rng.IntN(4)]
		j.cat, j.expect = "private/relative-repo-header", "private"
	case x < 620:
		sus := slices.Sorted(maps.Keys(rp.suspects))
		name := pick(sus)
		if r.rng.IntN(2) == 0 {
			j.headers["X-Switchyard-Repo"] = rp.suspects[name]
		} else {
			viaAgent(rp.suspects[name], rp.suspects[name])
		}
		j.cat, j.expect = "private/"+name, "private"
		if _, known := privKnownGaps[name]; known {
			j.gap = name
		}

	// ---- public, or whatever the default says
	case x < 650:
		// The header names a public repository while the system prompt
		// states a private one. switchyard applies the most restrictive of
		// the header's and the stated directories' policies (a stale header
		// must not send a private repository's content out), so the job is
		// private.
		e := excerpt(stated)
		sh.excerpt, sh.primary, sh.secondary = e, rp.headerPriv, rp.headerPriv
		j.headers["X-Switchyard-Repo"] = pick(rp.public)
		j.cat, j.expect = "private/header-and-prompt-strictest-wins", "private"
	case x < 700:
		// Nothing stated: aider states no directory, Qwen Code's system
		// prompt only names its memory directories; or no excerpt at all.
		if r.rng.IntN(2) == 0 {
			e := excerpt(func(e *privExcerpt) bool { return e.dirs == 0 })
			sh.excerpt = e
		}
		j.cat, j.expect = "default/nothing-stated", def
	case x < 730:
		viaAgent(rp.noPolicy, rp.noPolicy)
		j.cat, j.expect = "default/no-policy-file", def
	case x < 760:
		j.clouds = []string{"devstral"}
		if r.rng.IntN(2) == 0 {
			j.headers["X-Switchyard-Repo"] = rp.onlyDev
		} else {
			viaAgent(rp.onlyDev, rp.onlyDev)
		}
		j.cat, j.expect = "public/clouds-devstral-only", "public"
	case x < 780:
		j.clouds = []string{}
		j.headers["X-Switchyard-Repo"] = rp.noClouds
		j.cat, j.expect = "public/clouds-none", "public"
	case x < 880:
		j.headers["X-Switchyard-Repo"] = pick(rp.public)
		j.cat, j.expect = "public/header", "public"
	default:
		sec := pick(rp.public)
		src := viaAgent(pick(rp.public), sec)
		j.cat, j.expect = "public/"+src, "public"
	}
	if sh.excerpt != nil && sh.excerpt.dirs > 0 && j.headers["X-Switchyard-Repo"] == "" {
		// Recompute from what the excerpt really states (two-directory
		// agents join the secondary; the inlined statement is private).
		p := privacyOf(sh.primary)
		if sh.excerpt.dirs > 1 {
			p = stricter(p, privacyOf(sh.secondary))
		}
		if sh.extraSystem != "" || sh.readPrivate {
			p = "private"
		}
		if strings.HasPrefix(j.cat, "private/") && p != "private" && !strings.Contains(j.cat, "forged") {
			t.Fatalf("job %d: generator error: %s came out %s", id, j.cat, p)
		}
		if !strings.HasPrefix(j.cat, "private/") && !strings.HasPrefix(j.cat, "unreadable") {
			j.expect = p
		}
	}
	j.keep = j.expect != "public"
	if j.keep && !strings.HasPrefix(j.cat, "private/") {
		j.cat = "private-by-" + j.cat
	}

	// ---- modifiers
	heavy := r.rng.IntN(10) == 0
	switch {
	case heavy && r.rng.IntN(2) == 0:
		sh.toolRounds = 6
		j.cat += "+heavy-files"
	case heavy && r.rng.IntN(2) == 0:
		j.headers["X-Switchyard-Files"] = strconv.Itoa(5 + r.rng.IntN(20))
		j.cat += "+heavy-files-header"
	case heavy:
		sh.bigBytes = 30 << 10
		j.cat += "+heavy-tokens"
	}
	if window > 0 && r.rng.IntN(70) == 0 {
		// This code runs at about two bytes a token: three bytes a token
		// of the window is half as much again as fits.
		sh.bigBytes = window * 3
		j.cat += "+huge"
		if seg.devstralWindow < 262144 && r.rng.IntN(3) == 0 {
			sh.bigBytes = seg.devstralWindow * 3
			j.cat += "-beyond-devstral"
		}
	}
	if sh.bigBytes > 0 && sh.toolRounds == 0 {
		sh.toolRounds = 1
	}
	if r.rng.IntN(12) == 0 {
		kinds := privCredKinds()
		kind := kinds[r.rng.IntN(len(kinds))]
		sh.cred = r.credential(t, kind)
		sh.credPlace = []string{"user", "tool", "args", "assistant", "tool-description", "system"}[r.rng.IntN(6)]
		if sh.toolRounds == 0 && (sh.credPlace == "tool" || sh.credPlace == "args") {
			sh.toolRounds = 1
		}
		j.creds = []string{sh.cred}
		r.creds = append(r.creds, sh.cred)
		j.cat += "+credential"
		j.expect, j.keep = "private", true
	}
	switch m := r.rng.IntN(100); {
	case m < 6:
		j.model = "local"
	case m < 13:
		j.model, j.pinnedCloud = "cloud", true
	case m < 19:
		j.model, j.pinnedCloud = "devstral", true
	case m < 25:
		j.model, j.pinnedCloud = "gemini", true
	case m < 28:
		j.model = []string{"gpt-4o", "qwen3-coder:30b", "switchyard/auto"}[r.rng.IntN(3)]
	}
	if j.model != "auto" {
		j.cat += "+model:" + j.model
	}
	stream := r.rng.IntN(2) == 0

	sh.marker = privPubMark
	if j.keep {
		sh.marker = privKeepMark
	}
	if j.gap != "" {
		sh.marker = privGapMark
	}
	sh.marker += r.nonce + "-" + strconv.Itoa(id)
	j.body = r.buildBody(sh, j.model, stream)
	j.path = "/v1/chat/completions"
	switch n := r.rng.IntN(4); {
	case privWritesAnthropic && n == 0:
		j.body, j.path = privAnthropic(r.rng, j.body), "/v1/messages"
		j.cat += "+anthropic"
	case privWritesResponses && n == 1:
		j.body, j.path = privResponses(r.rng, j.body), "/v1/responses"
		j.cat += "+responses"
	case privWritesGemini && n == 2:
		if body, path, ok := privGemini(r.rng, j.body); ok {
			j.body, j.path = body, path
			j.cat += "+gemini"
		}
	}
	r.scriptFaults(j, seg)
	if seg.local != "up" {
		j.cat += "+local-dead"
	}
	return j
}

// pathShape makes j one of the shapes of issue 11: a directory stated
// through a symbolic link either way, or a public repository's job whose
// tool call reads a file (absolute or relative to the stated directory)
// under a nested private policy, through a link into a private
// repository, or in another repository; or, to keep the test honest, one
// of its own files.
func (r *privRig) pathShape(j *privJob, sh *privShape, viaAgent func(primary, secondary string) string) {
	rp := r.repos
	pub := rp.public[r.rng.IntN(len(rp.public))]
	state := func(dir string) string { return viaAgent(dir, dir) }
	read := func(path string, private bool) {
		sh.readPath, sh.readPrivate = path, private
	}
	switch k := r.rng.IntN(7); k {
	case 0:
		j.cat = "private/stated-link-into-private:" + state(rp.linkIntoPriv)
	case 1:
		j.cat = "private/stated-link-out-of-private:" + state(rp.linkOutOfPriv)
	case 2:
		state(rp.public[0])
		read(filepath.Join(rp.nestedPriv, "keys.go"), true)
		j.cat = "private/reads-nested-private-absolute"
	case 3:
		state(rp.public[0])
		rel, _ := filepath.Rel(rp.public[0], filepath.Join(rp.nestedPriv, "keys.go"))
		read(rel, true)
		j.cat = "private/reads-nested-private-relative"
	case 4:
		state(rp.public[1])
		read([]string{"linked-acme/src/main.go", "linked-acme/new_file.go", "linked-acme/../" + filepath.Base(rp.private[0]) + "/src/main.go"}[r.rng.IntN(3)], true)
		j.cat = "private/reads-through-link"
	case 5:
		state(pub)
		read(filepath.Join(rp.private[r.rng.IntN(len(rp.private))], "src", "main.go"), true)
		j.cat = "private/reads-other-repository"
	default:
		state(pub)
		read(fmt.Sprintf("src/lib_%d.go", r.rng.IntN(100)), false)
		j.cat = "public/reads-own-file"
	}
	j.expect = "private"
	if strings.HasPrefix(j.cat, "public/") {
		j.expect = "public"
	}
}

// scriptFaults chooses each provider's behaviour for the job: mostly well,
// sometimes a fault in the vendor's own wire format.
func (r *privRig) scriptFaults(j *privJob, seg *privSegment) {
	if r.rng.IntN(5) == 0 {
		// Ollama's own error texts (server/sched.go, llm/server.go).
		switch f := r.rng.IntN(10); {
		case f < 3:
			j.localScript = []ollamafake.Reply{{Status: http.StatusServiceUnavailable, Error: "server busy, please try again.  maximum pending requests exceeded"}}
			j.cat += "+fault:local-503"
		case f < 5:
			j.localScript = []ollamafake.Reply{{Status: http.StatusInternalServerError, Error: "llama runner process has terminated: signal: killed"}}
			j.cat += "+fault:local-500"
		case f < 7:
			j.localScript = []ollamafake.Reply{{Steps: []ollamafake.Step{{Content: "partial "}, {Cut: true}}}}
			j.cuts = true
			j.cat += "+fault:local-cut"
		case f < 9:
			j.localDown = true
			j.cat += "+fault:local-connection-reset"
		case seg.fast && r.rng.IntN(2) == 0:
			j.localScript = []ollamafake.Reply{{FirstChunkDelay: 300 * time.Millisecond, Steps: []ollamafake.Step{{Content: "late"}}}}
			j.cat += "+fault:local-delay"
		}
	}
	// Retry-After: 0 keeps the adapters' retries (four attempts: retry.Options
	// Max 3) from sleeping; four replies exhaust them, fewer recover.
	times := func(n int, rep any) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = rep
		}
		return out
	}
	dev := func() []any {
		switch f := r.rng.IntN(60); {
		case f < 4:
			j.cat += "+fault:devstral-429-exhausted"
			return times(4, mistralfake.Reply{Status: http.StatusTooManyRequests, RetryAfter: "0"})
		case f < 8:
			j.cat += "+fault:devstral-503-exhausted"
			return times(4, mistralfake.Reply{Status: http.StatusServiceUnavailable, RetryAfter: "0"})
		case f < 10:
			j.cat += "+fault:devstral-500-recovered"
			return times(2, mistralfake.Reply{Status: http.StatusInternalServerError, RetryAfter: "0"})
		case f < 12:
			j.cuts = true
			j.cat += "+fault:devstral-cut"
			return []any{mistralfake.Reply{Text: "a partial answer that will be cut off", CutAfter: 2}}
		case f < 13 && seg.fast:
			j.cat += "+fault:devstral-delay"
			return []any{mistralfake.Reply{Delay: 300 * time.Millisecond}}
		}
		return nil
	}
	gem := func() []any {
		switch f := r.rng.IntN(60); {
		case f < 4:
			j.cat += "+fault:gemini-429-exhausted"
			return times(4, geminifake.Reply{Status: http.StatusTooManyRequests, RetryAfter: "0", RetryDelay: "0s"})
		case f < 8:
			j.cat += "+fault:gemini-503-exhausted"
			return times(4, geminifake.Reply{Status: http.StatusServiceUnavailable, RetryAfter: "0"})
		case f < 10:
			j.cat += "+fault:gemini-500-recovered"
			return times(1, geminifake.Reply{Status: http.StatusInternalServerError, RetryAfter: "0"})
		case f < 12:
			j.cuts = true
			j.cat += "+fault:gemini-cut"
			return []any{geminifake.Reply{Text: []string{"a partial ", "answer ", "cut ", "off"}, CutAfter: 2}}
		case f < 13 && seg.fast:
			j.cat += "+fault:gemini-delay"
			return []any{geminifake.Reply{Delay: 300 * time.Millisecond}}
		}
		return nil
	}
	j.devScript, j.gemScript = dev(), gem()
}

// ------------------------------------------------------------- bodies

type privWireMsg struct {
	Role       string         `json:"role"`
	Content    any            `json:"content,omitempty"`
	ToolCalls  []privWireCall `json:"tool_calls,omitempty"`
	ToolCallID string         `json:"tool_call_id,omitempty"`
}

type privWireCall struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

type privWirePart struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type privWireTool struct {
	Function struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Parameters  json.RawMessage `json:"parameters"`
	} `json:"function"`
}

// privMounts is whether the daemon mounts the dialect named name: then a
// share of the proof's jobs are written in it.
func privMounts(name string) bool {
	return slices.ContainsFunc(dialects.All(), func(d ingress.Dialect) bool { return d.Name() == name })
}

// privChat is a job the proof built, as OpenAI chat completions, read back
// by the rewriters into other dialects.
type privChat struct {
	Model    string         `json:"model"`
	Messages []privWireMsg  `json:"messages"`
	Tools    []privWireTool `json:"tools"`
	Stream   bool           `json:"stream"`
	Max      int            `json:"max_tokens"`
}

func privParseChat(openAIBody []byte) privChat {
	var in privChat
	if err := json.Unmarshal(openAIBody, &in); err != nil {
		panic(err) // the proof built it
	}
	return in
}

// buildBody writes the job as an OpenAI chat completions request, the way
// a coding agent does: its system prompt, a first user turn that may carry
// its environment block, tool rounds reading files, maybe a later turn.
func (r *privRig) buildBody(sh privShape, model string, stream bool) []byte {
	m := sh.marker
	system := "You are a coding agent working for the user."
	var envBlock string
	placeEnv := ""
	if e := sh.excerpt; e != nil {
		text := e.fill(sh.primary, sh.secondary)
		if e.place == "system" {
			system = text
		} else {
			envBlock, placeEnv = text, e.place
		}
	}
	system += sh.extraSystem + "\nInternal build tag: " + m + "\n"
	if sh.credPlace == "system" {
		system += "Deploy with: " + sh.cred + "\n"
	}
	prompt := fmt.Sprintf("Fix the failing test in src/handler_%d.go (tracking %s).", r.rng.IntN(50), m)
	if sh.credPlace == "user" {
		prompt += "\nThe CI config has " + sh.cred + " if you need it."
	}
	var first any = prompt
	switch placeEnv {
	case "first-user":
		first = []privWirePart{{"text", envBlock}, {"text", prompt}}
	case "first-user-after-prompt":
		first = []privWirePart{{"text", prompt}, {"text", envBlock}}
	}
	msgs := []privWireMsg{{Role: "system", Content: system}, {Role: "user", Content: first}}
	if sh.readPath != "" {
		call := privWireCall{ID: "call_" + privAlnum(r.rng, 24), Type: "function"}
		call.Function.Name = "read_file"
		a, _ := json.Marshal(map[string]string{"file_path": sh.readPath})
		call.Function.Arguments = string(a)
		msgs = append(msgs, privWireMsg{Role: "assistant", ToolCalls: []privWireCall{call}},
			privWireMsg{Role: "tool", ToolCallID: call.ID, Content: privGoFile(r.rng, sh.readPath, m, 0)})
	}
	for i := range sh.toolRounds {
		call := privWireCall{ID: "call_" + privAlnum(r.rng, 24), Type: "function"}
		path := fmt.Sprintf("src/pkg%d/file_%d.go", i, r.rng.IntN(1000))
		call.Function.Name = "read_file"
		args := map[string]string{"path": path}
		if i == 0 {
			call.Function.Name = "bash"
			args = map[string]string{"command": "grep -rn '" + m + "' src/"}
			if sh.credPlace == "args" {
				args["command"] = "export " + sh.cred + " && go test ./..."
			}
		}
		a, _ := json.Marshal(args)
		call.Function.Arguments = string(a)
		content := privGoFile(r.rng, path, m, 0)
		if i == sh.toolRounds-1 && sh.bigBytes > 0 {
			content = privGoFile(r.rng, path, m, sh.bigBytes)
		}
		if i == 0 && sh.credPlace == "tool" {
			content = "# .env\n" + sh.cred + "\nLOG_LEVEL=debug\n" + content
		}
		if i == 0 && sh.plantedPlace == "tool" {
			content += "\n" + sh.planted
		}
		msgs = append(msgs, privWireMsg{Role: "assistant", ToolCalls: []privWireCall{call}},
			privWireMsg{Role: "tool", ToolCallID: call.ID, Content: content})
	}
	if sh.credPlace == "assistant" || sh.plantedPlace == "assistant" || sh.plantedPlace == "later-user" || r.rng.IntN(4) == 0 {
		said := "I found the problem in the handler; the test expects a trailing newline. (" + m + ")"
		if sh.credPlace == "assistant" {
			said += "\nI used " + sh.cred + " to reach the staging database."
		}
		if sh.plantedPlace == "assistant" {
			said += "\n" + sh.planted
		}
		later := "Good, now also update the changelog. " + m
		if sh.plantedPlace == "later-user" {
			later += "\n" + sh.planted
		}
		msgs = append(msgs, privWireMsg{Role: "assistant", Content: said}, privWireMsg{Role: "user", Content: later})
	}
	desc := "Read a file of the project. " + m
	if sh.credPlace == "tool-description" {
		desc += " Authenticate with " + sh.cred
	}
	tools := []map[string]any{
		{"type": "function", "function": map[string]any{"name": "read_file", "description": desc,
			"parameters": json.RawMessage(`{"type":"object","properties":{"path":{"type":"string"}},"required":["path"]}`)}},
		{"type": "function", "function": map[string]any{"name": "bash", "description": "Run a shell command.",
			"parameters": json.RawMessage(`{"type":"object","properties":{"command":{"type":"string"}},"required":["command"]}`)}},
	}
	req := map[string]any{"model": model, "messages": msgs, "tools": tools}
	if stream {
		req["stream"] = true
		if r.rng.IntN(2) == 0 {
			req["stream_options"] = map[string]bool{"include_usage": true}
		}
	}
	if r.rng.IntN(3) == 0 {
		req["max_tokens"] = 256 + r.rng.IntN(4000)
	}
	b, _ := json.Marshal(req)
	return b
}

// privGoFile is a plausible Go source file carrying the marker, at least
// size bytes long when size > 0.
func privGoFile(rng *mrand.Rand, path, marker string, size int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "// %s\n// Code owned by the team; reference %s.\npackage %s\n\nimport (\n\t\"errors\"\n\t\"fmt\"\n)\n\n",
		path, marker, filepath.Base(filepath.Dir(path)))
	for i := 0; i == 0 || b.Len() < size; i++ {
		name := privAlnum(rng, 6)
		fmt.Fprintf(&b, "// handle%s%d validates the %s request (%s).\nfunc handle%s%d(n int) (int, error) {\n\tif n < %d {\n\t\treturn 0, errors.New(\"value %s too small\")\n\t}\n\treturn n * %d, fmt.Errorf(\"ok %%d\", n)\n}\n\n",
			name, i, name, marker, name, i, rng.IntN(1000), name, rng.IntN(97))
	}
	return b.String()
}

const privAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func privAlnum(rng *mrand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = privAlphabet[rng.IntN(len(privAlphabet))]
	}
	return string(b)
}

func privUpperDigits(rng *mrand.Rand, n int) string {
	const a = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = a[rng.IntN(len(a))]
	}
	return string(b)
}

// ---------------------------------------------------------- credentials

func privCredKinds() []string {
	return []string{"github", "aws", "gitlab", "slack", "openai", "google", "stripe", "pem", "jwt", "assignment", "url"}
}

// credential builds one credential of a shape policy/secrets detects,
// around the run's nonce, as it appears in a config or a command. It fails
// the test if the scanner does not see it: the proof needs the credentials
// it plants to be ones switchyard claims to catch.
func (r *privRig) credential(t *testing.T, kind string) string {
	n, rng := r.credNonce, r.rng
	var c string
	switch kind {
	case "github":
		c = "GITHUB_TOKEN=ghp_" + privAlnum(rng, 12) + n + privAlnum(rng, 12)
	case "aws":
		c = "AWS_ACCESS_KEY_ID=AKIA" + privUpperDigits(rng, 2) + n[:12] + privUpperDigits(rng, 2)
	case "gitlab":
		c = "GITLAB_TOKEN=glpat-" + privAlnum(rng, 4) + n + privAlnum(rng, 4)
	case "slack":
		c = "SLACK_BOT_TOKEN=xoxb-" + strconv.Itoa(100000000+rng.IntN(900000000)) + "-" + n + "-" + privAlnum(rng, 24)
	case "openai":
		c = "OPENAI_API_KEY=sk-proj-" + privAlnum(rng, 20) + n + privAlnum(rng, 20)
	case "google":
		c = "GEMINI_API_KEY=AIza" + privAlnum(rng, 11) + n + privAlnum(rng, 12)
	case "stripe":
		c = "STRIPE_SECRET_KEY=sk_live_" + privAlnum(rng, 8) + n + privAlnum(rng, 8)
	case "pem":
		raw := make([]byte, 180)
		for i := range raw {
			raw[i] = byte(rng.IntN(256))
		}
		b64 := base64.StdEncoding.EncodeToString(raw)
		b64 = b64[:40] + n + b64[40:]
		var lines []string
		for len(b64) > 64 {
			lines = append(lines, b64[:64])
			b64 = b64[64:]
		}
		lines = append(lines, b64)
		c = "DEPLOY_KEY=\"-----BEGIN OPENSSH PRIVATE KEY-----\n" + strings.Join(lines, "\n") + "\n-----END OPENSSH PRIVATE KEY-----\""
	case "jwt":
		payload := base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"svc-deploy","iat":1764150000,"scope":"admin"}`))
		c = "SESSION=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." + payload + "." + privAlnum(rng, 14) + n + privAlnum(rng, 17)
	case "assignment":
		c = `DB_PASSWORD="` + privAlnum(rng, 6) + "#" + n + "!" + privAlnum(rng, 8) + `"`
	case "url":
		c = "DATABASE_URL=postgres://app:" + privAlnum(rng, 6) + n + privAlnum(rng, 6) + "@db.internal.example:5432/app"
	}
	if !strings.Contains(c, n) {
		t.Fatalf("credential %s does not carry the nonce", kind)
	}
	if len(secrets.Scan(c)) == 0 {
		t.Fatalf("policy/secrets does not detect the %s credential the proof plants: %q", kind, c)
	}
	return c
}

// TestPrivacyLookupGaps keeps fixed, each as small as it gets, three cases
// the proof found where the contract makes a job private ("found by walking
// up from the job's working directory"; "a file that cannot be read or
// parsed makes the job private") and switchyard once routed it by
// policy.default_privacy, so with default_privacy public the job went to
// the cloud. The proof generates the same jobs at random.
func TestPrivacyLookupGaps(t *testing.T) {
	root := t.TempDir()
	repo := filepath.Join(root, "acme")
	os.MkdirAll(filepath.Join(repo, "src"), 0o755)
	os.WriteFile(filepath.Join(repo, ".switchyard.yaml"), []byte("privacy: private\n"), 0o644)
	os.WriteFile(filepath.Join(repo, "src", "main.go"), []byte("package main\n"), 0o644)
	linked := filepath.Join(root, "linked")
	os.Mkdir(linked, 0o755)
	os.Symlink(filepath.Join(root, "shared-policies", "acme.yaml"), filepath.Join(linked, ".switchyard.yaml"))

	ollama := httptest.NewServer(ollamafake.New(ollamafake.Options{}))
	defer ollama.Close()
	dev := mistralfake.Start(mistralfake.Options{APIKey: privMistralKey})
	defer dev.Close()
	c := testConfig(t, t.TempDir(), ollama.URL)
	c.Providers[0].ContextWindow = 32768
	c.Providers = append(c.Providers, cloudProvider("devstral", configs.KindMistral, dev.URL, "devstral-latest", "PRIV_MISTRAL_KEY", 262144))
	c.Policy.DefaultPrivacy = "public"
	cfg := readConfig(t, c, privEnv)
	a, err := build(context.Background(), cfg, slog.New(slog.DiscardHandler), privEnv, appExtras{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	srv := httptest.NewServer(a.router)
	defer srv.Close()

	for _, c := range []struct{ name, dir, why string }{
		{"missing-subdir", filepath.Join(repo, "build", "out"), "a stated directory that does not exist (yet) inside a private repository must walk up to its policy"},
		{"file-as-dir", filepath.Join(repo, "src", "main.go"), "a stated path that is a file inside a private repository must walk up to its policy"},
		{"dangling-policy-link", linked, "a .switchyard.yaml that is a dangling symlink is a policy file that cannot be read"},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := len(dev.Requests())
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/chat/completions",
				strings.NewReader(`{"model":"devstral","messages":[{"role":"user","content":"summarise the secret roadmap"}]}`))
			req.Header.Set("X-Switchyard-Repo", c.dir)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if p := resp.Header.Get("X-Switchyard-Privacy"); p != "private" || len(dev.Requests()) != before {
				t.Errorf("X-Switchyard-Repo %s: privacy %q, status %d, route %s, devstral received %d requests; want private, 403, nothing sent (%s)",
					c.dir, p, resp.StatusCode, resp.Header.Get("X-Switchyard-Route"), len(dev.Requests())-before, c.why)
			}
		})
	}
}

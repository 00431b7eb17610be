package router

import (
	_ "embed"
	"encoding/json"
	"html/template"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/switchyard/switchyard/router/audit"
)

// recentDecisions is how many finished chat requests the status page shows.
const recentDecisions = 64

// decision is one finished chat request as the status page shows it: what
// was decided and how it went, never any of the prompt's text.
type decision struct {
	Time       time.Time `json:"time"`
	Repo       string    `json:"repo,omitempty"`
	Privacy    string    `json:"privacy"`
	Files      int       `json:"files"`
	Estimated  int       `json:"estimated_tokens"`
	Prompt     int       `json:"prompt_tokens"`
	Output     int       `json:"completion_tokens"`
	Route      string    `json:"route"`
	Reason     string    `json:"reason"`
	Fallback   string    `json:"fallback,omitempty"`
	Status     int       `json:"status"`
	DurationMS float64   `json:"duration_ms"`
}

// decisionRing holds the last recentDecisions decisions: a fixed array
// written under a mutex, so recording one allocates nothing.
type decisionRing struct {
	mu   sync.Mutex
	buf  [recentDecisions]decision
	next int
	n    int
	// total counts every decision ever added.
	total uint64
}

func (r *decisionRing) add(d decision) {
	r.mu.Lock()
	r.buf[r.next] = d
	r.total++
	r.next = (r.next + 1) % len(r.buf)
	if r.n < len(r.buf) {
		r.n++
	}
	r.mu.Unlock()
}

// newestFirst copies the ring out, the most recent decision first.
func (r *decisionRing) newestFirst() []decision {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]decision, 0, r.n)
	for i := 1; i <= r.n; i++ {
		out = append(out, r.buf[(r.next-i+len(r.buf))%len(r.buf)])
	}
	return out
}

// record keeps a finished routed request's decision for the status page.
func (rt *Router) record(l *requestLog, status int, d time.Duration) {
	rt.decisions.add(decision{
		Time: l.start.UTC(), Repo: l.repo, Files: l.files, Privacy: l.privacy, Estimated: l.estimated, Prompt: l.prompt, Output: l.output,
		Route: l.route, Reason: l.reason, Fallback: l.fallback, Status: status, DurationMS: ms(d),
	})
}

// statusPattern is the status endpoint's route; its one reader that is not
// a script, the page, may show the login's cookie instead of the token.
const statusPattern = "GET /v1/switchyard/status"

// status is the body of GET /v1/switchyard/status: what the status page
// shows, for scripts too.
type status struct {
	Version   string          `json:"version,omitempty"`
	Time      time.Time       `json:"time"`
	Providers []readyProvider `json:"providers"`
	Decisions []decision      `json:"decisions"`
	Prefill   []prefillChart  `json:"prefill"`
	// Split is the local/cloud split today and over the last 7 days, from
	// the egress audit and the local tally; absent without them.
	Split []splitPeriod `json:"split,omitempty"`
	// Doctor is doctor's last findings about the configuration that
	// serves; absent without Options.Findings.
	Doctor *DoctorReport `json:"doctor,omitempty"`
}

// splitPeriod is one period's jobs and tokens per provider.
type splitPeriod struct {
	Period     string                 `json:"period"` // today | 7d
	Since      time.Time              `json:"since"`
	LocalShare float64                `json:"local_share"`
	Providers  []audit.ProviderTotals `json:"providers"`
	Unfinished int                    `json:"unfinished,omitempty"`
}

// splitCache keeps the split: the logs may hold months of records, and
// the page asks every 1.5 s. It is read again after splitSoon when a job
// has finished since (so the page shows it), and after splitEvery anyway
// (a job of another process, a day that ended).
type splitCache struct {
	mu    sync.Mutex
	at    time.Time
	total uint64 // the decisions' total when read
	v     []splitPeriod
}

const (
	splitSoon  = 2 * time.Second
	splitEvery = 30 * time.Second
)

func (r *decisionRing) count() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.total
}

// split reads the audit and the tally at most every splitEvery.
func (rt *Router) split() []splitPeriod {
	if rt.opts.Audit == nil && rt.opts.Usage == nil {
		return nil
	}
	now := rt.now()
	c := &rt.splitCache
	c.mu.Lock()
	defer c.mu.Unlock()
	total := rt.decisions.count()
	if age := now.Sub(c.at); c.v != nil && age >= 0 && age < splitEvery && (total == c.total || age < splitSoon) {
		return c.v
	}
	var egress, usage string
	if rt.opts.Audit != nil {
		egress = rt.opts.Audit.Path()
	}
	if rt.opts.Usage != nil {
		usage = rt.opts.Usage.Path()
	}
	y, m, d := now.Date()
	var out []splitPeriod
	for _, p := range []struct {
		name  string
		since time.Time
	}{{"today", time.Date(y, m, d, 0, 0, 0, 0, now.Location())}, {"7d", now.Add(-7 * 24 * time.Hour)}} {
		s, err := audit.Summarize(egress, usage, p.since, now.Add(time.Second))
		if err != nil {
			rt.log.Warn("status: reading the audit", "err", err)
			continue
		}
		if s.Providers == nil {
			s.Providers = []audit.ProviderTotals{}
		}
		out = append(out, splitPeriod{Period: p.name, Since: p.since.UTC(), LocalShare: s.LocalShare, Providers: s.Providers, Unfinished: s.Unfinished})
	}
	c.at, c.total, c.v = now, total, out
	return out
}

// prefillChart is the seed's arithmetic for one local model: the prefills
// it was seen to do, the time the router predicts for a prompt of each
// size up to the window, and how long a job may take before a public one
// goes to the cloud instead (slow_after).
type prefillChart struct {
	Provider         string         `json:"provider"`
	Window           int            `json:"context_window"`
	SlowAfterSeconds float64        `json:"slow_after_seconds,omitempty"`
	Observed         []prefillPoint `json:"observed"`
	Predicted        []prefillPoint `json:"predicted"`
}

type prefillPoint struct {
	Prompt  int     `json:"prompt_tokens"`
	Cached  int     `json:"cached_tokens,omitempty"`
	Seconds float64 `json:"seconds"`
}

// predictedPoints is how many prompt sizes the prediction is drawn at.
const predictedPoints = 24

// prefillCharts draws each local model that learns its speed.
func (rt *Router) prefillCharts() []prefillChart {
	out := []prefillChart{}
	for _, u := range rt.upstreams {
		if u.Speed == nil {
			continue
		}
		window, _ := u.window()
		c := prefillChart{Provider: u.Name, Window: window, SlowAfterSeconds: u.SlowAfter.Seconds(), Observed: []prefillPoint{}}
		for _, p := range u.Speed.Points() {
			c.Observed = append(c.Observed, prefillPoint{Prompt: p.Prompt, Cached: p.Cached, Seconds: p.Seconds})
		}
		if window > 0 {
			for i := 0; i <= predictedPoints; i++ {
				n := window * i / predictedPoints
				c.Predicted = append(c.Predicted, prefillPoint{Prompt: n, Seconds: u.Speed.PrefillSeconds(n, 0)})
			}
		}
		out = append(out, c)
	}
	return out
}

func (rt *Router) handleStatus(w http.ResponseWriter, r *http.Request) {
	ready := rt.readiness()
	s := status{Version: rt.opts.Version, Time: rt.now().UTC(), Providers: ready.Providers, Decisions: rt.decisions.newestFirst(),
		Prefill: rt.prefillCharts(), Split: rt.split(), Doctor: rt.doctor()}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(s)
}

//go:embed status.html
var statusHTML string

// statusPage is the page GET / serves a browser: it polls
// /v1/switchyard/status and draws what it says; it loads nothing else, so it
// works offline.
var statusPage = template.Must(template.New("status").Parse(statusHTML))

// wantsHTML reports whether r comes from a browser rather than curl: only a
// browser's Accept names text/html, so curl keeps the plain-text page.
func wantsHTML(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

func (rt *Router) handleStatusPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'")
	version := rt.opts.Version
	if version == "" {
		version = "(version unknown)"
	}
	statusPage.Execute(w, struct{ Version string }{version})
}

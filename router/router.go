// Package router is switchyard's HTTP surface: the OpenAI-compatible
// endpoints, the routing of each job by policy, the execution of its plan
// with fallback, and the error envelope.
package router

import (
	"crypto/subtle"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/switchyard/switchyard/ingress"
	"github.com/switchyard/switchyard/policy"
	"github.com/switchyard/switchyard/router/audit"
	"github.com/switchyard/switchyard/router/metrics"
)

// Options configures a Router. Upstreams and Dialects are required.
type Options struct {
	Upstreams []*Upstream
	// Dialects are the wire forms served, each at its routes; the first
	// answers errors on paths that belong to none, and explains by default.
	Dialects []ingress.Dialect
	Settings policy.Settings
	// AuthToken, when non-empty, is the bearer token /v1/ requests must carry.
	AuthToken string
	// MaxBodyBytes limits request bodies (default 32 MiB).
	MaxBodyBytes int64
	Workspace    Workspace
	Tokens       TokenCounter
	// Inspector counts the files a job involves and finds credentials.
	Inspector Inspector
	// DecidingBytes bounds the bodies of 256 KiB or more being read and
	// decided at once, by their size (default 4 MiB: three new megabyte
	// conversations at a time, which keeps every core busy; negative: no
	// bound). See admit.
	DecidingBytes int64
	// MessageCacheBytes bounds the decoded messages kept for the next
	// turn, counted as their JSON's size (default 16 MiB; negative keeps
	// none).
	MessageCacheBytes int64
	// KeepAliveInterval is how often a streaming client waiting on a silent
	// prefill gets an SSE comment (default 15s: go-openai gives up after
	// ~150 blank or comment lines before the first event, so one every 15 s
	// covers 37 minutes; see shared/research/CLIENTS.md).
	KeepAliveInterval time.Duration
	// Logger receives one access line per request. nil = discard.
	Logger *slog.Logger
	// LogPrompts logs each chat request's body at debug level. Off, no
	// prompt content is ever logged.
	LogPrompts bool
	// Metrics records Prometheus metrics and serves /metrics; nil = none.
	Metrics *metrics.Metrics
	// Audit is the egress log: a record is written and synced before any
	// job is sent to a provider that is not local, and the job is not sent
	// if it cannot be written. nil = no log (tests).
	Audit *audit.Log
	// Usage counts jobs served locally, for the local share; nil = none.
	Usage *audit.Log
	// Now is the clock (tests); nil = time.Now.
	Now func() time.Time
	// Version is reported by /healthz.
	Version string
	// ConfigSource and ConfigError are reported by /readyz.
	ConfigSource string
	// Findings, when set, is doctor's last report, for the status page. It
	// is called on every status request: it returns what checks that ran
	// in the background found, and does no I/O itself. nil = no doctor
	// section.
	Findings func() DoctorReport
}

// Router serves switchyard's HTTP endpoints.
type Router struct {
	opts      Options
	upstreams []*Upstream
	byName    map[string]*Upstream
	mux       *http.ServeMux
	log       *slog.Logger
	token     []byte
	session   string // the status page's cookie value (login.go)
	// reloadErr is why the last reload was refused while this router kept
	// serving; /readyz reports it.
	reloadErr atomic.Pointer[string]
	sessions  sessions
	affinity  *affinities
	decoder   *requestDecoder
	// paths is the dialect of each of the dialects' endpoints, by pattern.
	paths     map[string]dialectPath
	endpoints []endpoint
	// active counts requests being handled, bookkeeping after the answer
	// included (tests wait for it to reach zero).
	active atomic.Int64
	// deciding admits large bodies (admit); nil admits every one.
	deciding *semaphore.Weighted
	// decisions are the last chat requests' decisions, for the status page.
	decisions decisionRing
	// splitCache keeps the status page's local/cloud split for a while.
	splitCache splitCache
}

// Trim lets go of what the router's caches hold beyond what an idle daemon
// keeps: the decoded messages of the most recent conversations, a quarter
// of the bound. Call it when no request is in progress or has begun for a
// while; requests may still come during it.
func (rt *Router) Trim() { rt.decoder.trim() }

// SetReloadError records that a new configuration was refused and this
// router's configuration keeps serving.
func (rt *Router) SetReloadError(err error) {
	s := err.Error()
	rt.reloadErr.Store(&s)
}

// New returns a Router for the given upstreams, in preference order.
func New(o Options) *Router {
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 32 << 20
	}
	if o.MessageCacheBytes == 0 {
		o.MessageCacheBytes = 16 << 20
	}
	if o.DecidingBytes == 0 {
		o.DecidingBytes = 4 << 20
	}
	if o.KeepAliveInterval <= 0 {
		o.KeepAliveInterval = 15 * time.Second
	}
	rt := &Router{opts: o, upstreams: o.Upstreams, byName: map[string]*Upstream{}, log: o.Logger, affinity: newAffinities(),
		decoder: newRequestDecoder(o.MessageCacheBytes), paths: map[string]dialectPath{}}
	if o.DecidingBytes > 0 {
		rt.deciding = semaphore.NewWeighted(o.DecidingBytes)
	}
	if len(o.Dialects) == 0 {
		panic("router: Options.Dialects is empty")
	}
	if rt.log == nil {
		rt.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.AuthToken != "" {
		rt.token = []byte("Bearer " + o.AuthToken)
		rt.session = newSessionValue(rt.token)
	}
	for _, u := range o.Upstreams {
		rt.byName[u.Name] = u
	}
	for _, d := range o.Dialects {
		rt.mount(d)
	}
	rt.endpoints = append(rt.endpoints,
		endpoint{"GET /v1/models", "auto, local, cloud and each provider", http.HandlerFunc(rt.handleModels)},
		endpoint{"POST /v1/switchyard/explain", "the routing decision for a request; sends nothing upstream", http.HandlerFunc(rt.handleExplain)},
		endpoint{"GET /healthz", "liveness", http.HandlerFunc(rt.handleHealthz)},
		endpoint{"GET /readyz", "readiness, as JSON: each provider's state, window and measured speed", http.HandlerFunc(rt.handleReadyz)},
		endpoint{"POST /login", "the status page's login: a form's token sets a cookie GET /v1/switchyard/status accepts", http.HandlerFunc(rt.handleLogin)},
		endpoint{statusPattern, "what the status page at / shows, as JSON: providers, the last decisions and doctor's findings", http.HandlerFunc(rt.handleStatus)},
	)
	if o.Metrics != nil {
		rt.endpoints = append(rt.endpoints, endpoint{"GET /metrics", "Prometheus metrics", o.Metrics.Handler()})
	}
	mux := http.NewServeMux()
	for _, e := range rt.endpoints {
		mux.Handle(e.pattern, e.handler)
	}
	// "/{$}" is "/" alone: every other unknown path stays a JSON 404, which
	// is what an API client that got its base URL wrong can read.
	mux.HandleFunc("GET /{$}", rt.handleIndex)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		var list []string
		for _, e := range rt.endpoints {
			list = append(list, e.pattern)
		}
		writeError(w, r, newError(http.StatusNotFound, codeNotFound, "no endpoint %s %s; switchyard serves %s", r.Method, r.URL.Path, strings.Join(list, ", ")))
	})
	rt.mux = mux
	return rt
}

// mount adds d's endpoints: its chat routes, its count routes (one
// handler for a pattern both share, ingress.CountSharer) and its model
// routes.
func (rt *Router) mount(d ingress.Dialect) {
	c, _ := d.(ingress.Counter)
	counts := map[string]bool{}
	if c != nil {
		for _, pattern := range c.CountRoutes() {
			counts[pattern] = true
		}
	}
	for _, pattern := range d.Routes() {
		dp := dialectPath{dl: d, chat: true}
		h, does := rt.chatHandler(d), d.Title()+", streaming and not, with tools"
		if counts[pattern] {
			cs, ok := d.(ingress.CountSharer)
			if !ok {
				panic("router: dialect " + d.Name() + " shares " + pattern + " between chat and count but is no ingress.CountSharer")
			}
			chatH, countH := h, rt.countHandler(c)
			h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if cs.IsCount(r) {
					countH.ServeHTTP(w, r)
				} else {
					chatH.ServeHTTP(w, r)
				}
			})
			dp.shared, does = cs, does+"; and its prompt's tokens, counted as routing counts them"
			delete(counts, pattern)
		}
		rt.endpoints = append(rt.endpoints, endpoint{pattern, does, h})
		rt.paths[pattern] = dp
	}
	if c != nil {
		for _, pattern := range c.CountRoutes() {
			if counts[pattern] {
				rt.endpoints = append(rt.endpoints, endpoint{pattern, d.Title() + ": the prompt's tokens, counted as routing counts them", rt.countHandler(c)})
				rt.paths[pattern] = dialectPath{dl: d}
			}
		}
	}
	if mr, ok := d.(ingress.ModelRouter); ok {
		for _, pattern := range mr.ModelRoutes() {
			rt.endpoints = append(rt.endpoints, endpoint{pattern, d.Title() + ": auto, local, cloud and each provider", rt.modelsHandler(mr)})
			rt.paths[pattern] = dialectPath{dl: d}
		}
	}
}

// endpoint is one route of the API, listed once for the mux, the index page
// and the 404 message alike.
type endpoint struct {
	pattern string
	does    string
	handler http.Handler
}

func (rt *Router) now() time.Time {
	if rt.opts.Now != nil {
		return rt.opts.Now()
	}
	return time.Now()
}

// ServeHTTP authenticates /v1/ requests, serves them, and logs one access
// line for each.
func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt.active.Add(1)
	defer rt.active.Add(-1)
	start := time.Now()
	// The handler is found once: it is called below, not through the mux.
	// (So handlers read r.URL.Path, never r.PathValue.)
	handler, pattern := rt.mux.Handler(r)
	dp, ok := rt.paths[pattern]
	dl, isChat := dp.dl, dp.chat && (dp.shared == nil || !dp.shared.IsCount(r))
	if !ok {
		dl = rt.dialectOf(r)
	}
	l := &requestLog{id: newID("req_"), route: "none", start: start, dl: dl, routed: isChat}
	sw := &statusWriter{ResponseWriter: w}
	r = r.WithContext(withLog(r.Context(), l))
	w.Header().Set("X-Switchyard-Request-Id", l.id)
	if rt.token != nil && (strings.HasPrefix(r.URL.Path, "/v1/") || strings.HasPrefix(r.URL.Path, "/v1beta/")) && !rt.authorized(r) && !(pattern == statusPattern && rt.hasSession(r)) {
		l.reason = codeUnauthorized
		setRouteHeaders(w.Header(), "none", codeUnauthorized, "", 0)
		writeError(sw, r, newError(http.StatusUnauthorized, codeUnauthorized, "missing or wrong token: send Authorization: Bearer <the value of the variable auth.token_env names> (or x-api-key: <it>)"))
	} else {
		if isChat {
			defer rt.opts.Metrics.Start()()
		}
		handler.ServeHTTP(sw, r)
		if isChat {
			rt.opts.Metrics.Request(l.route, l.reason, sw.status)
		}
	}
	d := time.Since(start)
	rt.logAccess(r, l, sw.status, d)
	if l.routed {
		rt.record(l, sw.status, d)
	}
}

// authorized reports whether r carries switchyard's token, the way some
// dialect's clients send an API key: Authorization: Bearer (OpenAI, and
// Claude Code's ANTHROPIC_AUTH_TOKEN), x-api-key (Anthropic's SDKs),
// x-goog-api-key or the key query parameter (Google's).
func (rt *Router) authorized(r *http.Request) bool {
	h := r.Header
	if subtle.ConstantTimeCompare([]byte(h.Get("Authorization")), rt.token) == 1 {
		return true
	}
	want := rt.token[len("Bearer "):]
	for _, k := range []string{"X-Api-Key", "X-Goog-Api-Key"} {
		if v := h.Get(k); v != "" && subtle.ConstantTimeCompare([]byte(v), want) == 1 {
			return true
		}
	}
	if r.URL.RawQuery != "" {
		if v := r.URL.Query().Get("key"); v != "" && subtle.ConstantTimeCompare([]byte(v), want) == 1 {
			return true
		}
	}
	return false
}

func (rt *Router) handleHealthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{"status": "ok", "version": rt.opts.Version})
}

type readyProvider struct {
	Name         string `json:"name"`
	Kind         string `json:"kind"`
	Model        string `json:"model"`
	Local        bool   `json:"local"`
	Available    bool   `json:"available"`
	Unavailable  string `json:"unavailable,omitempty"`
	Window       int    `json:"context_window"`
	NativeWindow int    `json:"native_context_window,omitempty"`
	// DefinitionWindow is what the model's definition says (Ollama's
	// Modelfile num_ctx), when it says anything: the label a user set,
	// which switchyard does not use.
	DefinitionWindow int     `json:"definition_num_ctx,omitempty"`
	PrefillTPS       float64 `json:"prefill_tokens_per_second,omitempty"`
	// Pool is the pool the provider is a member of; QueuedSeconds the
	// predicted time of the jobs it is running, which its next job's
	// prediction counts (a share of, on an engine of several slots).
	Pool          string  `json:"pool,omitempty"`
	QueuedSeconds float64 `json:"queued_seconds,omitempty"`
	// EngineRunning and EngineWaiting are what the engine says it is
	// running and has waiting, every client's, when it says.
	EngineRunning *int `json:"engine_running,omitempty"`
	EngineWaiting *int `json:"engine_waiting,omitempty"`
	healthState
}

// readiness is what /readyz answers and the index page shows.
type readiness struct {
	Status      string          `json:"status"`
	Config      string          `json:"config,omitempty"`
	ReloadError string          `json:"reload_error,omitempty"`
	Providers   []readyProvider `json:"providers"`
}

func (rt *Router) readiness() readiness {
	now := rt.now()
	out := readiness{Status: "ready", Config: rt.opts.ConfigSource}
	if e := rt.reloadErr.Load(); e != nil {
		out.ReloadError = "the last reload was refused, the previous configuration keeps serving: " + *e
	}
	for _, u := range rt.upstreams {
		// Asked first: for a local model that has not answered yet, it is
		// the discovery (rate-limited), after which the window is known.
		why := u.unavailable()
		use, native := u.window()
		p := readyProvider{Name: u.Name, Kind: u.Kind, Model: u.Model, Local: u.Local, Available: why == "",
			Unavailable: why, Window: use, healthState: u.health.state(now)}
		if native != use {
			p.NativeWindow = native
		}
		if u.DefinitionWindow != nil {
			p.DefinitionWindow = u.DefinitionWindow()
		}
		if u.PrefillSpeed != nil {
			p.PrefillTPS = u.PrefillSpeed()
		}
		if u.Pool != "" {
			p.Pool, p.QueuedSeconds = u.Pool, u.queue.seconds()
		}
		if u.Load != nil {
			if running, waiting, ok := u.Load(); ok {
				p.EngineRunning, p.EngineWaiting = &running, &waiting
			}
		}
		out.Providers = append(out.Providers, p)
	}
	return out
}

func (rt *Router) handleReadyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(rt.readiness())
}

// models is the model list every dialect's list shows.
func (rt *Router) models() []ingress.Model {
	created := rt.now()
	list := []ingress.Model{
		{ID: policy.ModelAuto, DisplayName: "switchyard: the policy decides", OwnedBy: "switchyard", Created: created, ContextWindow: rt.autoWindow()},
		{ID: policy.ModelLocal, DisplayName: "switchyard: this machine only", OwnedBy: "switchyard", Created: created, ContextWindow: rt.widest(true, false)},
		{ID: policy.ModelCloud, DisplayName: "switchyard: a cloud model", OwnedBy: "switchyard", Created: created, ContextWindow: rt.widest(false, true)},
	}
	for _, u := range rt.upstreams {
		if u.Name == policy.ModelLocal {
			continue
		}
		use, _ := u.window()
		list = append(list, ingress.Model{ID: u.Name, DisplayName: u.Name + " (" + u.Kind + " " + u.Model + ")",
			OwnedBy: u.Kind, Created: created, ContextWindow: use})
	}
	return list
}

func (rt *Router) handleModels(w http.ResponseWriter, r *http.Request) {
	ml, ok := rt.dialectOf(r).(ingress.ModelLister)
	if !ok {
		ml = rt.opts.Dialects[0].(ingress.ModelLister)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(ml.EncodeModels(rt.models()))
}

// modelsHandler serves a dialect's own model routes.
func (rt *Router) modelsHandler(mr ingress.ModelRouter) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, e := mr.EncodeModelsFor(r, rt.models())
		if e != nil {
			logOf(r).err = e
			writeError(w, r, e)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	})
}

// widest is the largest window among the local upstreams, or the cloud
// ones.
func (rt *Router) widest(local, cloud bool) int {
	n := 0
	for _, u := range rt.upstreams {
		if u.Local && local || !u.Local && cloud {
			use, _ := u.window()
			n = max(n, use)
		}
	}
	return n
}

// autoWindow is the window a job sent to auto can count on whatever its
// repository: a private job runs only on this machine, and a public one
// may (it goes to a cloud only when it does not fit or would be slow), so
// with a local provider it is the local window, even when a cloud's is
// wider. An agent told the wider one fills it and a private job cannot be
// served; told this one, it compacts in time everywhere.
func (rt *Router) autoWindow() int {
	if n := rt.widest(true, false); n > 0 {
		return n
	}
	return rt.widest(false, true)
}

// dialectOf is the dialect a request to no dialect's endpoint is answered
// in: the first whose clients' mark it carries (ingress.ModelLister), else
// the first dialect.
func (rt *Router) dialectOf(r *http.Request) ingress.Dialect {
	for _, d := range rt.opts.Dialects {
		if ml, ok := d.(ingress.ModelLister); ok && ml.ListsModels(r) {
			return d
		}
	}
	return rt.opts.Dialects[0]
}

// dialectPath is a dialect endpoint's path: whose, and whether it is the
// chat endpoint (routed, measured) or another (count_tokens).
type dialectPath struct {
	dl   ingress.Dialect
	chat bool
	// shared, when not nil, tells a count request from a chat request at
	// a pattern both share.
	shared ingress.CountSharer
}

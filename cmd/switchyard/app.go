package main

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/configs"
	"github.com/switchyard/switchyard/ingress/dialects"
	"github.com/switchyard/switchyard/policy"
	"github.com/switchyard/switchyard/policy/tokenize"
	"github.com/switchyard/switchyard/policy/workspace"
	"github.com/switchyard/switchyard/providers/gemini"
	"github.com/switchyard/switchyard/providers/mistral"
	"github.com/switchyard/switchyard/providers/ollama"
	"github.com/switchyard/switchyard/providers/openaicompat"
	"github.com/switchyard/switchyard/providers/retry"
	"github.com/switchyard/switchyard/router"
	"github.com/switchyard/switchyard/router/audit"
	"github.com/switchyard/switchyard/router/metrics"
)

// app is one configuration, wired: its router, its upstreams and the
// background work that keeps the local models' facts fresh.
type app struct {
	cfg       *configs.Config
	router    *router.Router
	upstreams []*router.Upstream
	locals    []*localModel
	// watches keep other local engines' facts fresh (their load).
	watches []func(context.Context)
	// workspace finds and caches the repositories' policy files; doctor
	// checks the ones it has seen.
	workspace *workspace.Store
	stop      context.CancelFunc
}

// trim lets go of what the caches hold beyond what an idle daemon keeps.
func (a *app) trim() {
	a.router.Trim()
	for _, lm := range a.locals {
		lm.Trim()
	}
}

// localModel is a configured Ollama model and its configuration.
type localModel struct {
	*ollama.Local
	cfg configs.Provider
}

// appExtras are the daemon's lasting parts an app uses; all may be nil.
type appExtras struct {
	metrics       *metrics.Metrics
	egress, usage *audit.Log
	// findings is the daemon's doctor's last report, for the status page.
	findings func() router.DoctorReport
}

// build wires a configuration. It does no network I/O itself; the local
// models are asked for their facts in the background.
func build(ctx context.Context, cfg *configs.Config, log *slog.Logger, env configs.Env, x appExtras) (*app, error) {
	a := &app{cfg: cfg, workspace: workspace.NewStore(workspace.StoreOptions{})}
	mem := machineMemory()
	var ups []*router.Upstream
	for _, pc := range cfg.Providers {
		// The first local model counts tokens for the router: its window
		// is the hard wall.
		u, lm, watch, err := upstreamFor(ctx, pc, mem, len(a.locals) == 0, log, env)
		if err != nil {
			return nil, fmt.Errorf("provider %s: %w", pc.Name, err)
		}
		if lm != nil {
			a.locals = append(a.locals, lm)
		}
		if watch != nil {
			a.watches = append(a.watches, watch)
		}
		if name, pool := cfg.PoolOf(pc.Name); pool != nil && u.Local {
			// Validate admits only local members; a member that is not
			// local is never in a pool, whatever the file says.
			u.Pool, u.AffinityMargin, u.Slots = name, pool.AffinityMargin, pc.Slots
		}
		ups = append(ups, u)
	}
	a.upstreams = ups
	var tokens router.TokenCounter = router.CounterTokens(tokenize.NewCounter())
	for i, lm := range a.locals {
		x.metrics.Local(lm.cfg.Name, lm.Speed().PrefillTPS, func() int { w, _ := lm.Window(); return w }, a.upstream(lm.cfg.Name).QueuedSeconds)
		if i == 0 {
			tokens = lm
		}
	}
	token := ""
	if cfg.Auth.TokenEnv != "" {
		token, _ = env(cfg.Auth.TokenEnv)
	}
	a.router = router.New(router.Options{
		Dialects:  dialects.All(),
		Upstreams: ups,
		Settings: policy.Settings{
			DefaultPrivacy: policy.Privacy(cfg.Policy.DefaultPrivacy),
			HeavyMinFiles:  cfg.Policy.Heavy.MinFiles, HeavyMinTokens: cfg.Policy.Heavy.MinTokens,
			Secrets: cfg.Policy.Secrets, DefaultOutputTokens: cfg.Policy.DefaultOutputTokens,
			UnknownModel: cfg.Policy.UnknownModel,
		},
		AuthToken:         token,
		MaxBodyBytes:      int64(cfg.Server.MaxBodyBytes),
		KeepAliveInterval: cfg.Server.KeepAliveInterval,
		Workspace:         router.StoreWorkspace(a.workspace),
		Tokens:            tokens,
		Inspector:         router.PolicyInspector,
		Logger:            log,
		Metrics:           x.metrics,
		Audit:             x.egress,
		Usage:             x.usage,
		Version:           versionString(),
		ConfigSource:      cfg.Source,
		Findings:          x.findings,
	})
	return a, nil
}

// start runs the background refresh of every local model until close.
func (a *app) start(ctx context.Context, log *slog.Logger) {
	bg, stop := context.WithCancel(context.WithoutCancel(ctx))
	a.stop = stop
	for _, lm := range a.locals {
		go lm.Watch(bg)
	}
	for _, watch := range a.watches {
		go watch(bg)
	}
}

// upstreamFor is the one place that switches on a provider's kind.
// A local Ollama model counts tokens when countTokens. watch, when not
// nil, keeps what the upstream reads of its engine fresh until its
// context ends.
func upstreamFor(ctx context.Context, pc configs.Provider, mem int64, countTokens bool, log *slog.Logger, env configs.Env) (u *router.Upstream, lm *localModel, watch func(context.Context), err error) {
	key := ""
	if pc.APIKeyEnv != "" {
		key, _ = env(pc.APIKeyEnv)
	}
	u = &router.Upstream{Name: pc.Name, Kind: pc.Kind, Model: pc.Model, Local: pc.IsLocal(),
		ContextWindow: pc.ContextWindow, FirstByteTimeout: pc.FirstByteTimeout, SlowAfter: pc.SlowAfter}
	if pc.APIKeyEnv != "" && key == "" && !pc.IsLocal() {
		// Configured but unavailable: routing skips it; nothing is built,
		// so nothing could send to it by mistake.
		u.Unavailable = "its key variable " + pc.APIKeyEnv + " is not set"
		return u, nil, nil, nil
	}
	if !pc.IsLocal() || pc.Kind == configs.KindOpenAI {
		// Cloud models tokenize differently: learn the ratio of what they
		// report to what we estimated, and check their windows with it.
		// So may a local engine's model; it starts at 1 (the local model
		// is Qwen's, whose tokenizer switchyard counts with, more often
		// than not, and such an engine refuses a prompt over its window
		// rather than cutting it).
		prior := 0.0
		if pc.IsLocal() {
			prior = 1
		}
		c := tokenize.NewCorrection(prior)
		u.TokenFactor = c.Ratio
		u.Observe = func(estimated int, usage chat.Usage) { c.Observe(estimated, usage.PromptTokens) }
	}
	switch pc.Kind {
	case configs.KindOllama:
		lm := newLocalModel(pc, mem, countTokens, log)
		return lm.upstream(), lm, nil, nil
	case configs.KindMistral:
		u.Provider = mistral.New(mistral.Options{Name: pc.Name, BaseURL: pc.BaseURL, Model: pc.Model, APIKey: key})
	case configs.KindGemini:
		p, err := gemini.New(ctx, gemini.Options{Name: pc.Name, BaseURL: pc.BaseURL, Model: pc.Model, APIKey: key})
		if err != nil {
			return nil, nil, nil, err
		}
		u.Provider = p
	case configs.KindOpenAI:
		o := openaicompat.Options{Name: pc.Name, BaseURL: pc.BaseURL, Model: pc.Model, APIKey: key, Local: pc.IsLocal()}
		if pc.IsLocal() {
			// A local server's traffic is private jobs: never through an
			// HTTP_PROXY from the environment.
			t := retry.NewTransport(0)
			t.Proxy = nil
			o.HTTPClient = retry.NewClient(retry.Options{Transport: t})
		}
		p := openaicompat.New(o)
		u.Provider = p
		if !pc.IsLocal() {
			break
		}
		eng := openaicompat.NewEngine(p)
		if pc.ContextWindow == 0 {
			// The engine says its window (llama.cpp's /props, vLLM's
			// max_model_len); until it has, routing skips it.
			u.Window, u.Check = eng.Window, eng.Check
			// And its slots (llama.cpp's total_slots), unless the
			// configuration says them.
			u.EngineSlots = eng.Slots
		}
		// Near its window, a job is counted by the engine itself (vLLM's
		// /tokenize, llama.cpp's /apply-template and /tokenize).
		u.CountPrompt = openaicompat.NewCounter(p).CountPrompt
		es := newEngineSpeed(pc)
		u.Speed, u.PrefillSpeed, u.Predict, u.Timed = es.speed, es.speed.PrefillTPS, es.predict, es.timed
		// And its load (llama.cpp's /slots, vLLM's /metrics), read in the
		// background: other clients' requests on a shared engine.
		u.Load = func() (int, int, bool) {
			running, waiting, _, ok := eng.Load()
			return running, waiting, ok
		}
		watch = eng.Watch
	default:
		return nil, nil, nil, fmt.Errorf("unknown kind %q", pc.Kind)
	}
	return u, nil, watch, nil
}

func newLocalModel(pc configs.Provider, machineMemory int64, countTokens bool, log *slog.Logger) *localModel {
	mem := int64(pc.Memory)
	if mem == 0 {
		mem = machineMemory
	}
	return &localModel{cfg: pc, Local: ollama.NewLocal(ollama.LocalOptions{
		Options: ollama.Options{Name: pc.Name, BaseURL: pc.BaseURL, Model: pc.Model, ContextWindow: pc.ContextWindow, Logger: log},
		Memory:  mem, KVCacheType: pc.KVCacheType,
		PrefillTokensPerSecond: pc.PrefillTokensPerSecond, DecodeTokensPerSecond: pc.DecodeTokensPerSecond,
		CountTokens: countTokens, VocabularyLoaded: releaseMemory,
	})}
}

func (lm *localModel) upstream() *router.Upstream {
	return &router.Upstream{
		// An Ollama is local only where its configuration says so (on
		// loopback, or local: true): one that says local: false is a cloud
		// to the policy, whatever it runs.
		Name: lm.cfg.Name, Kind: lm.cfg.Kind, Model: lm.cfg.Model, Local: lm.cfg.IsLocal(), Provider: lm.Provider(),
		ContextWindow: lm.cfg.ContextWindow, Window: lm.Window, DefinitionWindow: lm.DefinitionWindow,
		FirstByteTimeout: lm.cfg.FirstByteTimeout, SlowAfter: lm.cfg.SlowAfter,
		Predict: lm.Predict, Observe: lm.CheckReported, PrefillSpeed: lm.Speed().PrefillTPS, Speed: lm.Speed(), Check: lm.Check,
	}
}

func (a *app) upstream(name string) *router.Upstream {
	for _, u := range a.upstreams {
		if u.Name == name {
			return u
		}
	}
	return nil
}

func (a *app) close() {
	if a.stop != nil {
		a.stop()
	}
}

// machineMemory is MemTotal from /proc/meminfo, 0 if unknown.
func machineMemory() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
			fields := strings.Fields(rest)
			if len(fields) > 0 {
				kb, _ := strconv.ParseInt(fields[0], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}

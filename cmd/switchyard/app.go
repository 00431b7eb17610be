package main

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/configs"
	"github.com/switchyard/switchyard/ingress/dialects"
	"github.com/switchyard/switchyard/policy"
	"github.com/switchyard/switchyard/policy/tokenize"
	"github.com/switchyard/switchyard/policy/workspace"
	"github.com/switchyard/switchyard/providers/gemini"
	"github.com/switchyard/switchyard/providers/mistral"
	"github.com/switchyard/switchyard/providers/openaicompat"
	"github.com/switchyard/switchyard/providers/retry"
	"github.com/switchyard/switchyard/router"
	"github.com/switchyard/switchyard/router/audit"
	"github.com/switchyard/switchyard/router/metrics"
)

type routerUpstream = router.Upstream

// app is one configuration, wired: its router, its upstreams and the
// background work that keeps the local model's facts fresh.
type app struct {
	cfg       *configs.Config
	router    *router.Router
	upstreams []*router.Upstream
	locals    []*localModel
	tokens    *tokenCounter
	stop      context.CancelFunc
}

// appExtras are the daemon's lasting parts an app uses; all may be nil.
type appExtras struct {
	metrics       *metrics.Metrics
	egress, usage *audit.Log
}

// build wires a configuration. It does no network I/O itself; the local
// models are asked for their facts in the background.
func build(ctx context.Context, cfg *configs.Config, log *slog.Logger, env configs.Env, x appExtras) (*app, error) {
	a := &app{cfg: cfg}
	mem := machineMemory()
	var ups []*router.Upstream
	for _, pc := range cfg.Providers {
		u, lm, err := upstreamFor(ctx, pc, mem, log, env)
		if err != nil {
			return nil, fmt.Errorf("provider %s: %w", pc.Name, err)
		}
		if lm != nil {
			a.locals = append(a.locals, lm)
		}
		ups = append(ups, u)
	}
	a.upstreams = ups
	for _, lm := range a.locals {
		x.metrics.Local(lm.cfg.Name, lm.speed.PrefillTPS, func() int { w, _ := lm.window(); return w })
	}
	a.tokens = newTokenCounter()
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
		Workspace:         router.StoreWorkspace(workspace.NewStore(workspace.StoreOptions{})),
		Tokens:            a.tokens,
		Inspector:         router.PolicyInspector,
		Logger:            log,
		Metrics:           x.metrics,
		Audit:             x.egress,
		Usage:             x.usage,
		Version:           versionString(),
		ConfigSource:      cfg.Source,
	})
	return a, nil
}

// start runs the background refresh of every local model until close.
func (a *app) start(ctx context.Context, log *slog.Logger) {
	bg, stop := context.WithCancel(context.WithoutCancel(ctx))
	a.stop = stop
	for _, lm := range a.locals {
		go a.watchLocal(bg, lm, log)
	}
}

// upstreamFor is the one place that switches on a provider's kind.
func upstreamFor(ctx context.Context, pc configs.Provider, mem int64, log *slog.Logger, env configs.Env) (*router.Upstream, *localModel, error) {
	key := ""
	if pc.APIKeyEnv != "" {
		key, _ = env(pc.APIKeyEnv)
	}
	u := &router.Upstream{Name: pc.Name, Kind: pc.Kind, Model: pc.Model, Local: pc.IsLocal(),
		ContextWindow: pc.ContextWindow, FirstByteTimeout: pc.FirstByteTimeout, SlowAfter: pc.SlowAfter}
	if pc.APIKeyEnv != "" && key == "" && !pc.IsLocal() {
		// Configured but unavailable: routing skips it; nothing is built,
		// so nothing could send to it by mistake.
		u.Unavailable = "its key variable " + pc.APIKeyEnv + " is not set"
		return u, nil, nil
	}
	if !pc.IsLocal() {
		// Cloud models tokenize differently: learn the ratio of what they
		// report to what we estimated, and check their windows with it.
		c := tokenize.NewCorrection(0)
		u.TokenFactor = c.Ratio
		u.Observe = func(estimated int, usage chat.Usage) { c.Observe(estimated, usage.PromptTokens) }
	}
	switch pc.Kind {
	case configs.KindOllama:
		lm := newLocalModel(pc, mem, log)
		return lm.upstream(), lm, nil
	case configs.KindMistral:
		u.Provider = mistral.New(mistral.Options{Name: pc.Name, BaseURL: pc.BaseURL, Model: pc.Model, APIKey: key})
	case configs.KindGemini:
		p, err := gemini.New(ctx, gemini.Options{Name: pc.Name, BaseURL: pc.BaseURL, Model: pc.Model, APIKey: key})
		if err != nil {
			return nil, nil, err
		}
		u.Provider = p
	case configs.KindOpenAI:
		o := openaicompat.Options{Name: pc.Name, BaseURL: pc.BaseURL, Model: pc.Model, APIKey: key}
		if pc.IsLocal() {
			// A local server's traffic is private jobs: never through an
			// HTTP_PROXY from the environment.
			t := retry.NewTransport(0)
			t.Proxy = nil
			o.HTTPClient = retry.NewClient(retry.Options{Transport: t})
		}
		u.Provider = openaicompat.New(o)
	default:
		return nil, nil, fmt.Errorf("unknown kind %q", pc.Kind)
	}
	return u, nil, nil
}

// primeLocal asks Ollama once for the model's facts, from which the token
// counter learns how Ollama renders the model's prompt, and, the first time
// it answers, for its vocabulary, from which the exact tokenizer is built.
func (a *app) primeLocal(ctx context.Context, lm *localModel, log *slog.Logger) error {
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	info, err := lm.p.Refresh(rctx)
	cancel()
	if err != nil {
		return err
	}
	log.Info("local model", "provider", lm.cfg.Name, "model", info.Model, "native_context", info.NativeContext,
		"definition_num_ctx", info.DefinitionNumCtx, "num_ctx", info.NumCtx, "ollama", info.Version)
	if changed, err := a.tokens.setFormat(lm, info); changed && err != nil {
		log.Warn("token counts are not exact: switchyard cannot render this model's prompt as Ollama does", "provider", lm.cfg.Name, "error", err)
	}
	if a.tokens.wants(lm) {
		vctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		v, verr := lm.p.Vocabulary(vctx)
		cancel()
		if verr == nil {
			verr = a.tokens.setVocabulary(lm, v)
			// The vocabulary as Ollama sent it (~5 MB of JSON, tens of MB
			// as Go strings) is garbage now: give the memory back to the
			// system rather than idling on it.
			releaseStartupMemory()
		}
		if verr != nil {
			log.Warn("local tokenizer unavailable; token counts are calibrated estimates that err high", "provider", lm.cfg.Name, "error", verr)
		}
	}
	return nil
}

// watchLocal primes the local model until Ollama answers, then refreshes
// now and then so a model changed under us is noticed even when idle.
func (a *app) watchLocal(ctx context.Context, lm *localModel, log *slog.Logger) {
	wait := time.Second
	for {
		if err := a.primeLocal(ctx, lm, log); err != nil {
			log.Warn("local model not reachable yet", "provider", lm.cfg.Name, "error", err, "retry_in", wait)
			wait = min(wait*2, time.Minute)
		} else {
			wait = 5 * time.Minute
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
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

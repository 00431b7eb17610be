package main

import (
	"context"
	"path/filepath"
	"sync"
	"time"

	"github.com/switchyard/switchyard/configs"
	"github.com/switchyard/switchyard/router"
)

// The daemon's own doctor, for the status page (issue 19): the checks that
// need no second app and no cloud, run against the app that serves. Asking
// each cloud whether its model still exists stays with `switchyard doctor`:
// a daemon doing it on a timer would send requests to clouds that no job
// asked for, which the egress audit and the privacy tests rule out.

// How often the daemon's doctor runs: every doctorEvery, and after a
// reload; every doctorSoon while a local model has not answered yet, so
// the page does not show a starting daemon's "not answered" for long.
// Variables so tests can step them.
var (
	doctorEvery = 30 * time.Second
	doctorSoon  = 2 * time.Second
)

// doctorLive checks a, the app that serves, as doctor would but without a
// request to any cloud: the configuration (reloadErr is why the last reload
// was refused, "" if it was not), each local model's window, memory and
// timeout from the facts the background refresh keeps, the window each
// local OpenAI-compatible engine said, the cloud keys' presence in env, the
// table of retired model ids, the pools, and the policy files the app's
// requests have led it to. pending reports that a local model or engine
// has not answered yet, so the findings are about to change.
func doctorLive(a *app, env configs.Env, reloadErr string, now time.Time) (r *report, pending bool) {
	r = &report{}
	if reloadErr != "" {
		r.add("config", statusFail, "correct the file; every problem is listed; until then the configuration read before serves",
			"%s was changed and is refused: %s", a.cfg.Source, reloadErr)
	} else {
		r.add("config", statusOK, "", "%s is valid (%d providers)", a.cfg.Source, len(a.cfg.Providers))
	}
	for _, lm := range a.locals {
		info, ok := lm.Provider().Info()
		if !ok {
			pending = true
			r.add(lm.cfg.Name+" ollama", statusFail, ollamaFix(lm), "Ollama at %s (model %s) has not answered yet; switchyard keeps asking", lm.cfg.BaseURL, lm.cfg.Model)
			continue
		}
		r.add(lm.cfg.Name+" ollama", statusOK, "", "Ollama %s at %s answered %s ago", orUnknown(info.Version), lm.cfg.BaseURL, now.Sub(info.RefreshedAt).Round(time.Second))
		doctorLocalModel(r, lm, info)
	}
	for _, pc := range a.cfg.Providers {
		if pc.Kind != configs.KindOllama {
			doctorKey(r, pc, env)
			doctorRetired(r, pc, now)
			pending = doctorEngineLive(r, a, pc) || pending
		}
	}
	doctorPools(r, a, a.cfg)
	var dirs []string
	for _, f := range a.workspace.Known() {
		dirs = append(dirs, filepath.Dir(f))
	}
	doctorPolicies(r, a.workspace, dirs)
	return r, pending
}

// liveDoctor keeps the daemon's doctor's last report for the status page,
// which reads it on every poll: the checks run in the background, never on
// a request's path.
type liveDoctor struct {
	mu   sync.Mutex
	last router.DoctorReport
	// again wakes run for a reload.
	again chan struct{}
}

func newLiveDoctor() *liveDoctor { return &liveDoctor{again: make(chan struct{}, 1)} }

// Report is the last run's findings (router.Options.Findings).
func (l *liveDoctor) Report() router.DoctorReport {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.last
}

// Again asks for a run now, without waiting for it.
func (l *liveDoctor) Again() {
	select {
	case l.again <- struct{}{}:
	default:
	}
}

// run runs check now, then every `every` (`soon` while check says its
// findings are pending) and on Again, until ctx is done.
func (l *liveDoctor) run(ctx context.Context, check func() (*report, bool), every, soon time.Duration) {
	for {
		r, pending := check()
		l.set(r, time.Now())
		wait := every
		if pending {
			wait = soon
		}
		select {
		case <-ctx.Done():
			return
		case <-l.again:
		case <-time.After(wait):
		}
	}
}

func (l *liveDoctor) set(r *report, at time.Time) {
	fs := make([]router.Finding, len(r.Findings))
	for i, f := range r.Findings {
		fs[i] = router.Finding{Check: f.Check, Status: f.Status, Message: f.Finding, Fix: f.Fix}
	}
	l.mu.Lock()
	l.last = router.DoctorReport{Time: at.UTC(), Findings: fs}
	l.mu.Unlock()
}

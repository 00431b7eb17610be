package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/switchyard/switchyard/configs"
	"github.com/switchyard/switchyard/policy"
	"github.com/switchyard/switchyard/providers/openaicompat"
)

// asksWindow is whether pc is a local OpenAI-compatible engine without a
// configured window, which routing asks for its own.
func asksWindow(pc configs.Provider) bool {
	return pc.Kind == configs.KindOpenAI && pc.IsLocal() && pc.ContextWindow == 0
}

// engineWindowFix is what to do about an engine that has not said its
// window.
const engineWindowFix = "start the engine, or set context_window for it"

// doctorEngine asks a local OpenAI-compatible engine without a configured
// window for its own, as routing will.
func doctorEngine(ctx context.Context, r *report, a *app, pc configs.Provider) {
	if !asksWindow(pc) {
		return
	}
	p, ok := a.upstream(pc.Name).Provider.(*openaicompat.Provider)
	if !ok {
		return
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	info, err := p.Discover(cctx)
	if err != nil {
		r.add(pc.Name+" window", statusFail, engineWindowFix, "%s: %v", pc.Name, err)
		return
	}
	engineWindowOK(r, pc.Name+" ("+info.Engine+")", pc.Name, info.Window, info.Native)
}

// doctorEngineLive is doctorEngine for the daemon: from the window the
// serving app has learnt of the engine, asking it again only as routing
// would (Upstream.Check, at most every few seconds) while it has not
// said. pending is that it has not: the finding is about to change.
func doctorEngineLive(r *report, a *app, pc configs.Provider) (pending bool) {
	u := a.upstream(pc.Name)
	if !asksWindow(pc) || u == nil || u.Window == nil {
		return false
	}
	use, native := u.Window()
	if use <= 0 && u.Check != nil {
		if why := u.Check(); why != "" {
			r.add(pc.Name+" window", statusFail, engineWindowFix, "%s: %s; routing skips it until it says", pc.Name, why)
			return true
		}
		use, native = u.Window()
	}
	engineWindowOK(r, pc.Name, pc.Name, use, native)
	return false
}

// engineWindowOK says what an engine, who in the text and name in the
// check, said of its window: use a request may use, native the model's
// own length (0 when unknown).
func engineWindowOK(r *report, who, name string, use, native int) {
	text := fmt.Sprintf("%s says a request may use %d tokens", who, use)
	if native > use {
		text += fmt.Sprintf(" (the model was trained for %d)", native)
	}
	r.add(name+" window", statusOK, "", "%s", text)
}

// doctorPools says, for each pool, which members can take jobs now and
// with what window: a job larger than a member's window runs on the
// others only.
func doctorPools(r *report, a *app, cfg *configs.Config) {
	for _, pl := range cfg.Pools {
		var up, down []string
		for _, m := range pl.Members {
			u := a.upstream(m)
			if u == nil {
				continue
			}
			if why := u.Check; why != nil {
				if s := why(); s != "" {
					down = append(down, m+" ("+s+")")
					continue
				}
			}
			w := u.ContextWindow
			if u.Window != nil {
				w, _ = u.Window()
			}
			up = append(up, fmt.Sprintf("%s (window %d)", m, w))
		}
		name := "pool " + pl.Name
		switch {
		case len(up) == 0:
			r.add(name, statusFail, "start a member, or check its base_url", "no member can take a job: %s", strings.Join(down, "; "))
		case len(down) > 0:
			r.add(name, statusWarn, "start it, or take it out of the pool", "%s can take jobs; %s cannot now, so its jobs go to the others (a private job never beyond the pool)",
				strings.Join(up, ", "), strings.Join(down, "; "))
		default:
			r.add(name, statusOK, "", "%s can take jobs; a conversation stays on the member that served it while that is within %.0f%% of the quickest",
				strings.Join(up, ", "), policy.AffinityMargin(pl.AffinityMargin)*100)
		}
	}
}

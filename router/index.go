package router

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"
)

// handleIndex answers GET / with a short plain-text page for a person who
// opens the address in a browser or curls it: the version, the endpoints,
// where the configuration came from and each provider's readiness, as
// /readyz reports it. Like /readyz it needs no token (only /v1/ does).
//
// A browser (its Accept names text/html) gets the status page instead.
func (rt *Router) handleIndex(w http.ResponseWriter, r *http.Request) {
	if wantsHTML(r) {
		rt.handleStatusPage(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	var out strings.Builder
	ready := rt.readiness()
	version, config := rt.opts.Version, ready.Config
	if version == "" {
		version = "(version unknown)"
	}
	if config == "" {
		config = "(not known)"
	}
	fmt.Fprintf(&out, "switchyard %s\n\nEndpoints:\n", version)
	tw := tabwriter.NewWriter(&out, 0, 0, 2, ' ', 0)
	for _, e := range rt.endpoints {
		fmt.Fprintf(tw, "  %s\t%s\n", e.pattern, e.does)
	}
	tw.Flush()
	fmt.Fprintf(&out, "\nConfig: %s\n", config)
	if ready.ReloadError != "" {
		fmt.Fprintf(&out, "  %s\n", ready.ReloadError)
	}
	fmt.Fprintf(&out, "\nProviders (in order of preference):\n")
	tw = tabwriter.NewWriter(&out, 0, 0, 2, ' ', 0)
	for _, p := range ready.Providers {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", p.Name, p.summary(), p.detail())
	}
	tw.Flush()
	io.WriteString(w, out.String())
}

// summary is the provider's readiness in a word or two.
func (p *readyProvider) summary() string {
	switch {
	case !p.Available:
		return "unavailable"
	case p.State == "ok":
		return "ready"
	}
	return strings.ReplaceAll(p.State, "_", " ")
}

// detail is the rest of the provider's line: what it is and, when it is not
// ready, why.
func (p *readyProvider) detail() string {
	where := "cloud"
	if p.Local {
		where = "local"
	}
	s := fmt.Sprintf("%s %s, %s", p.Kind, p.Model, where)
	if p.Window > 0 {
		s += fmt.Sprintf(", window %d tokens", p.Window)
		if p.DefinitionWindow > 0 && p.DefinitionWindow != p.Window {
			s += fmt.Sprintf(" (its definition says num_ctx %d; switchyard sends %d)", p.DefinitionWindow, p.Window)
		}
	} else {
		s += ", window not known yet"
	}
	if p.PrefillTPS > 0 {
		s += fmt.Sprintf(", prefill %.0f tokens/s", p.PrefillTPS)
	}
	switch {
	case !p.Available:
		s += ": " + p.Unavailable
	case p.State == "cooling_down":
		s += fmt.Sprintf(": resting until %s after %d failures in a row (%s)", p.CoolUntil.Format(time.TimeOnly), p.Failures, p.LastError)
	case p.State == "degraded":
		s += fmt.Sprintf(": %d failures in a row (%s)", p.Failures, p.LastError)
	}
	return s
}

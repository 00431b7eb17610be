package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2"

	"github.com/switchyard/switchyard/configs"
)

// agentView is what doctor makes of one agent's configuration on this
// machine.
type agentView struct {
	// found: the agent has a configuration here (a file, or its variables
	// in doctor's environment).
	found bool
	// pointed: it sends its requests to switchyard; where names how.
	pointed bool
	where   string
	// assumed is the window the agent believes in, 0 when it never
	// compacts (how says why, and where the number comes from).
	assumed int
	how     string
}

// agentReader reads one agent's configuration under home, with env as the
// environment it would run in.
type agentReader func(home string, env configs.Env, isSwitchyard func(string) bool) agentView

// Windows agents assume for a model id they do not know.
const (
	codexDefaultWindow  = 272000  // Codex's fallback model metadata
	claudeDefaultWindow = 1000000 // "assumes a context window of 1m tokens" for auto
)

var agentReaders = []struct {
	name string
	read agentReader
}{
	{"claude-code", readClaude},
	{"codex", readCodex},
	{"opencode", readOpencode},
	{"qwen-code", readQwen},
	{"gemini-cli", readGemini},
	{"crush", readCrush},
}

// doctorAgents checks the agents configured on this machine against the
// window switchyard will serve: an agent pointed at switchyard that
// believes in more overflows mid-task; one not pointed at it is mentioned,
// not judged.
func doctorAgents(ctx context.Context, r *report, cfg *configs.Config, env configs.Env) {
	home, _ := env("HOME")
	if home == "" {
		return
	}
	var facts *setupFacts
	isSwitchyard := func(raw string) bool { return sameListener(raw, cfg.Listen) }
	for _, ag := range agentReaders {
		v := ag.read(home, env, isSwitchyard)
		if !v.found {
			continue
		}
		check := ag.name + " config"
		if !v.pointed {
			r.add(check, statusOK, "", "%s is not pointed at switchyard (%s)", ag.name, orUnknown(v.where))
			continue
		}
		if facts == nil {
			cwd, _ := os.Getwd()
			f, err := gatherSetup(ctx, cfg, cwd, env, io.Discard)
			if err != nil {
				r.add("agents", statusWarn, "start the local model, then run switchyard doctor again", "cannot check the agents' windows: %v", err)
				return
			}
			facts = f
		}
		fix := "switchyard setup " + ag.name + " --write"
		switch {
		case v.assumed == 0:
			r.add(check, statusWarn, fix, "%s is pointed at switchyard (%s) but %s: it will not compact before a job overflows the %d tokens switchyard serves", ag.name, v.where, v.how, facts.Window)
		case v.assumed > facts.Window:
			r.add(check, statusWarn, fix, "%s assumes %s tokens (%s); %s serves %s: it will overflow mid-task", ag.name, thousands(v.assumed), v.how, strings.Join(facts.Served, ", "), thousands(facts.Window))
		default:
			r.add(check, statusOK, "", "%s is pointed at switchyard (%s) and assumes %s tokens (%s), within the %s switchyard serves", ag.name, v.where, thousands(v.assumed), v.how, thousands(facts.Window))
		}
	}
}

// sameListener reports whether the URL raw points at the listen address
// (loopback names taken as one).
func sameListener(raw, listen string) bool {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return false
	}
	h1, p1, err1 := net.SplitHostPort(u.Host)
	h2, p2, err2 := net.SplitHostPort(listen)
	if err1 != nil || err2 != nil || p1 != p2 {
		return false
	}
	loop := func(h string) bool {
		if h == "localhost" {
			return true
		}
		ip := net.ParseIP(h)
		return ip != nil && ip.IsLoopback()
	}
	if h2 == "" || h2 == "0.0.0.0" || h2 == "::" {
		return true
	}
	return h1 == h2 || loop(h1) && loop(h2)
}

func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// readJSONFile reads a JSON object file; found is false when there is none.
func readJSONFile(path string) (m map[string]any, found bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, false
	}
	if json.Unmarshal(b, &m) != nil {
		return map[string]any{}, true
	}
	return m, true
}

// pathValue is m[k0]...[kn], nil where it is not.
func pathValue(m map[string]any, keys ...string) any {
	var v any = m
	for _, k := range keys {
		o, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = o[k]
	}
	return v
}

func pathString(m map[string]any, keys ...string) string {
	s, _ := pathValue(m, keys...).(string)
	return s
}

func pathInt(m map[string]any, keys ...string) int {
	switch v := pathValue(m, keys...).(type) {
	case float64:
		return int(v)
	case string:
		n, _ := strconv.Atoi(v)
		return n
	}
	return 0
}

func envOr(env configs.Env, name, fallback string) string {
	if v, ok := env(name); ok && v != "" {
		return v
	}
	return fallback
}

// readClaude: ~/.claude/settings.json's env, then the environment, which
// wins (Claude Code applies settings' env over its own).
func readClaude(home string, env configs.Env, isSwitchyard func(string) bool) agentView {
	path := filepath.Join(home, ".claude", "settings.json")
	m, found := readJSONFile(path)
	base := envOr(env, "ANTHROPIC_BASE_URL", pathString(m, "env", "ANTHROPIC_BASE_URL"))
	v := agentView{found: found || base != "", where: "ANTHROPIC_BASE_URL " + orUnknown(base)}
	v.pointed = isSwitchyard(base)
	window := envOr(env, "CLAUDE_CODE_AUTO_COMPACT_WINDOW", pathString(m, "env", "CLAUDE_CODE_AUTO_COMPACT_WINDOW"))
	if n, err := strconv.Atoi(window); err == nil && n > 0 {
		v.assumed, v.how = n, "CLAUDE_CODE_AUTO_COMPACT_WINDOW"
	} else if n := pathInt(m, "autoCompactWindow"); n > 0 {
		v.assumed, v.how = n, "autoCompactWindow in "+path
	} else {
		v.assumed, v.how = claudeDefaultWindow, "its default for a model it does not know"
	}
	return v
}

// readCodex: ~/.codex/config.toml (CODEX_HOME when set): the provider its
// model_provider names, and model_context_window.
func readCodex(home string, env configs.Env, isSwitchyard func(string) bool) agentView {
	dir := envOr(env, "CODEX_HOME", filepath.Join(home, ".codex"))
	path := filepath.Join(dir, "config.toml")
	b, err := os.ReadFile(path)
	if err != nil {
		return agentView{}
	}
	var c struct {
		ModelProvider      string `toml:"model_provider"`
		ModelContextWindow int    `toml:"model_context_window"`
		CompactLimit       int    `toml:"model_auto_compact_token_limit"`
		ModelProviders     map[string]struct {
			BaseURL string `toml:"base_url"`
		} `toml:"model_providers"`
	}
	if err := toml.Unmarshal(b, &c); err != nil {
		return agentView{found: true, where: path + " does not parse: " + err.Error()}
	}
	base := c.ModelProviders[c.ModelProvider].BaseURL
	v := agentView{found: true, pointed: isSwitchyard(base), where: "model_provider " + orUnknown(c.ModelProvider) + " at " + orUnknown(base)}
	switch {
	case c.ModelContextWindow > 0:
		v.assumed, v.how = c.ModelContextWindow, "model_context_window in "+path
	default:
		v.assumed, v.how = codexDefaultWindow, "its fallback for a model it does not know"
	}
	return v
}

// readOpencode: the providers of opencode.json whose baseURL is
// switchyard's, and their models' limit.context (none: it never compacts).
func readOpencode(home string, env configs.Env, isSwitchyard func(string) bool) agentView {
	path := filepath.Join(envOr(env, "XDG_CONFIG_HOME", filepath.Join(home, ".config")), "opencode", "opencode.json")
	m, found := readJSONFile(path)
	if !found {
		return agentView{}
	}
	v := agentView{found: true, where: "no provider's baseURL in " + path + " is switchyard's"}
	provs, _ := m["provider"].(map[string]any)
	for id, p := range provs {
		pm, _ := p.(map[string]any)
		if !isSwitchyard(pathString(pm, "options", "baseURL")) {
			continue
		}
		v.pointed, v.where = true, "provider "+id
		models, _ := pm["models"].(map[string]any)
		for mid, mm := range models {
			mo, _ := mm.(map[string]any)
			n := pathInt(mo, "limit", "context")
			if n == 0 {
				v.assumed, v.how = 0, "model "+id+"/"+mid+" has no limit.context, so opencode never compacts it"
				return v
			}
			if n > v.assumed {
				v.assumed, v.how = n, "limit.context of "+id+"/"+mid
			}
		}
		if v.assumed == 0 {
			v.how = "provider " + id + " lists no model with a limit.context"
		}
	}
	return v
}

// readQwen: OPENAI_BASE_URL (the environment, else settings.json's env)
// and model.generationConfig.contextWindowSize.
func readQwen(home string, env configs.Env, isSwitchyard func(string) bool) agentView {
	path := filepath.Join(home, ".qwen", "settings.json")
	m, found := readJSONFile(path)
	if !found {
		return agentView{}
	}
	base := envOr(env, "OPENAI_BASE_URL", pathString(m, "env", "OPENAI_BASE_URL"))
	v := agentView{found: true, pointed: isSwitchyard(base), where: "OPENAI_BASE_URL " + orUnknown(base)}
	if n := pathInt(m, "model", "generationConfig", "contextWindowSize"); n > 0 {
		v.assumed, v.how = n, "model.generationConfig.contextWindowSize in "+path
	} else {
		v.assumed, v.how = claudeDefaultWindow, "no contextWindowSize: its default for a model it does not know, taken as 1,000,000"
	}
	return v
}

// readGemini: GOOGLE_GEMINI_BASE_URL and model.compressionThreshold, a
// fraction of the 1,048,576 tokens Gemini CLI takes every model for.
func readGemini(home string, env configs.Env, isSwitchyard func(string) bool) agentView {
	path := filepath.Join(home, ".gemini", "settings.json")
	m, found := readJSONFile(path)
	base, _ := env("GOOGLE_GEMINI_BASE_URL")
	if !found && base == "" {
		return agentView{}
	}
	v := agentView{found: true, pointed: isSwitchyard(base), where: "GOOGLE_GEMINI_BASE_URL " + orUnknown(base)}
	th, _ := pathValue(m, "model", "compressionThreshold").(float64)
	how := "model.compressionThreshold " + strconv.FormatFloat(th, 'f', -1, 64) + " of its 1,048,576"
	if th <= 0 || th > 1 {
		th, how = 0.5, "the default compressionThreshold 0.5 of its 1,048,576"
	}
	// It compacts at th of its limit: the window it behaves as if it had
	// is where that point sits for switchyard's own threshold.
	v.assumed, v.how = int(th*geminiLimit), how+", its compaction point"
	return v
}

// readCrush: crush.json's providers whose base_url is switchyard's, and
// their models' context_window.
func readCrush(home string, env configs.Env, isSwitchyard func(string) bool) agentView {
	path := filepath.Join(envOr(env, "XDG_CONFIG_HOME", filepath.Join(home, ".config")), "crush", "crush.json")
	m, found := readJSONFile(path)
	if !found {
		return agentView{}
	}
	v := agentView{found: true, where: "no provider's base_url in " + path + " is switchyard's"}
	provs, _ := m["providers"].(map[string]any)
	for id, p := range provs {
		pm, _ := p.(map[string]any)
		if !isSwitchyard(pathString(pm, "base_url")) {
			continue
		}
		v.pointed, v.where = true, "provider "+id
		models, _ := pm["models"].([]any)
		for _, mm := range models {
			mo, _ := mm.(map[string]any)
			if n := pathInt(mo, "context_window"); n > v.assumed {
				v.assumed, v.how = n, fmt.Sprintf("context_window of %s/%s", id, pathString(mo, "id"))
			}
		}
		if v.assumed == 0 {
			v.how = "provider " + id + " lists no model with a context_window"
		}
	}
	return v
}

package configs

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Validate returns every problem with the configuration, each prefixed with
// its key's path. It has no side effects.
func (c *Config) Validate() []Problem {
	var p []Problem
	add := func(path, format string, args ...any) {
		p = append(p, Problem{path, fmt.Sprintf(format, args...)})
	}

	switch {
	case c.Listen == "":
		add("listen", "must be host:port or unix:/path")
	case strings.HasPrefix(c.Listen, "unix:"):
		if !strings.HasPrefix(strings.TrimPrefix(c.Listen, "unix:"), "/") {
			add("listen", "a unix socket needs an absolute path, as unix:/run/switchyard.sock")
		}
	default:
		if _, _, err := net.SplitHostPort(c.Listen); err != nil {
			add("listen", "%q is not host:port (%v)", c.Listen, err)
		}
	}
	if c.Server.MaxBodyBytes <= 0 {
		add("server.max_body_bytes", "must be positive")
	}
	if c.Server.KeepAliveInterval < 100*time.Millisecond {
		add("server.keepalive_interval", "must be at least 100ms")
	}
	if c.Server.MaxProcs < 0 {
		add("server.max_procs", "must be 0 (every core) or a number of cores")
	}
	if c.Server.ShutdownTimeout < 0 {
		add("server.shutdown_timeout", "must not be negative")
	}
	if !oneOf(c.Log.Format, "text", "json") {
		add("log.format", "must be text or json, not %q", c.Log.Format)
	}
	if !oneOf(c.Log.Level, "debug", "info", "warn", "error") {
		add("log.level", "must be debug, info, warn or error, not %q", c.Log.Level)
	}

	if len(c.Providers) == 0 {
		add("providers", "at least one provider is needed")
	}
	seen := map[string]int{}
	for i := range c.Providers {
		c.Providers[i].validate(fmt.Sprintf("providers[%d]", i), seen, i, add)
	}

	c.validatePools(add)

	if !oneOf(c.Policy.DefaultPrivacy, "private", "public") {
		add("policy.default_privacy", "must be private or public, not %q", c.Policy.DefaultPrivacy)
	}
	if !oneOf(c.Policy.Secrets, "local", "refuse", "ignore") {
		add("policy.secrets", "must be local, refuse or ignore, not %q", c.Policy.Secrets)
	}
	if c.Policy.Heavy.MinFiles < 0 {
		add("policy.heavy.min_files", "must not be negative")
	}
	if c.Policy.Heavy.MinTokens < 0 {
		add("policy.heavy.min_tokens", "must not be negative")
	}
	if c.Policy.DefaultOutputTokens <= 0 {
		add("policy.default_output_tokens", "must be positive")
	}
	if m := c.Policy.UnknownModel; m != "" && m != "auto" && m != "local" && m != "cloud" && !slices.ContainsFunc(c.Providers, func(p Provider) bool { return p.Name == m }) {
		add("policy.unknown_model", "must be auto, local, cloud or a provider's name, not %q", m)
	}
	return p
}

// validatePools checks that each pool has a name of its own and local
// members, none in two pools.
func (c *Config) validatePools(add func(string, string, ...any)) {
	names := map[string]bool{}
	member := map[string]string{}
	for i, pl := range c.Pools {
		path := fmt.Sprintf("pools[%d]", i)
		switch {
		case pl.Name == "":
			add(path+".name", "is required")
		case reserved[pl.Name] || pl.Name == "local":
			add(path+".name", "%q is a routing word (auto, local, cloud); choose another name", pl.Name)
		case slices.ContainsFunc(c.Providers, func(p Provider) bool { return p.Name == pl.Name }):
			add(path+".name", "%q is already a provider's name", pl.Name)
		case names[pl.Name]:
			add(path+".name", "%q is already the name of another pool", pl.Name)
		}
		names[pl.Name] = true
		if len(pl.Members) == 0 {
			add(path+".members", "names the local providers of the pool; it has none")
		}
		for j, m := range pl.Members {
			mp := fmt.Sprintf("%s.members[%d]", path, j)
			k := slices.IndexFunc(c.Providers, func(p Provider) bool { return p.Name == m })
			switch {
			case k < 0:
				add(mp, "%q is not the name of a provider", m)
			case !c.Providers[k].IsLocal():
				add(mp, "%q is not local (a pool is of local providers: kind ollama on this machine, or local: true)", m)
			case member[m] != "":
				add(mp, "%q is already a member of pool %q", m, member[m])
			default:
				member[m] = pl.Name
			}
		}
		if pl.AffinityMargin < 0 {
			add(path+".affinity_margin", "must not be negative")
		}
	}
}

// reserved names are routing words a provider name would shadow. "local"
// is allowed: a provider named local means what the word means.
var reserved = map[string]bool{"auto": true, "cloud": true}

func (pr *Provider) validate(path string, seen map[string]int, i int, add func(string, string, ...any)) {
	switch {
	case pr.Name == "":
		add(path+".name", "is required")
	case strings.ContainsAny(pr.Name, " \t/"):
		add(path+".name", "%q must not contain spaces or slashes", pr.Name)
	case reserved[pr.Name]:
		add(path+".name", "%q is a routing word (auto, cloud); choose another name", pr.Name)
	default:
		if j, dup := seen[pr.Name]; dup {
			add(path+".name", "%q is already the name of providers[%d]", pr.Name, j)
		}
		seen[pr.Name] = i
	}
	// The checks that depend on the kind are left out for a kind that is
	// not one: "olama" should be one problem, not four.
	knownKind := oneOf(pr.Kind, KindOllama, KindMistral, KindGemini, KindOpenAI)
	switch {
	case pr.Kind == "":
		add(path+".kind", "is required (ollama, mistral, gemini, openai)")
	case !knownKind:
		add(path+".kind", "unknown kind %q (ollama, mistral, gemini, openai)", pr.Kind)
	}
	urlOK := false
	if pr.BaseURL == "" {
		if knownKind && pr.Kind != KindGemini {
			add(path+".base_url", "is required for kind %s", pr.Kind)
		}
	} else if u, err := url.Parse(pr.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		add(path+".base_url", "%q is not an http(s) URL", pr.BaseURL)
	} else {
		urlOK = true
	}
	if pr.Model == "" {
		add(path+".model", "is required")
	}
	if pr.ContextWindow < 0 {
		add(path+".context_window", "must not be negative")
	}
	if pr.ContextWindow == 0 && knownKind && pr.Kind != KindOllama && !(pr.Kind == KindOpenAI && pr.IsLocal()) {
		add(path+".context_window", "is required for kind %s (only ollama, and a local openai engine that says its window, read it from the server)", pr.Kind)
	}
	if pr.Memory < 0 {
		add(path+".memory", "must not be negative")
	}
	if pr.KVCacheType != "" && !oneOf(pr.KVCacheType, "f16", "q8_0", "q4_0") {
		add(path+".kv_cache_type", "must be f16, q8_0 or q4_0, not %q", pr.KVCacheType)
	}
	if pr.PrefillTokensPerSecond < 0 {
		add(path+".prefill_tokens_per_second", "must not be negative")
	}
	if pr.DecodeTokensPerSecond < 0 {
		add(path+".decode_tokens_per_second", "must not be negative")
	}
	if pr.SlowAfter < 0 {
		add(path+".slow_after", "must not be negative")
	}
	if pr.FirstByteTimeout < 0 {
		add(path+".first_byte_timeout", "must not be negative")
	}
	if pr.Slots < 0 || pr.Slots > maxSlots {
		add(path+".slots", "must be between 0 and %d, not %d", maxSlots, pr.Slots)
	}
	if pr.Kind == KindOllama && pr.Local == nil && urlOK && !loopbackURL(pr.BaseURL) {
		add(path+".local", "%s is not this machine: say local: true if it is on premises you trust with private code (private jobs may then run there), or local: false if it is not", pr.BaseURL)
	}
	if knownKind && !pr.IsLocal() && pr.Kind != KindOpenAI && pr.Kind != KindOllama && pr.APIKeyEnv == "" {
		add(path+".api_key_env", "names the environment variable holding the key; it is required for kind %s", pr.Kind)
	}
	if strings.HasPrefix(pr.APIKeyEnv, "sk-") || len(pr.APIKeyEnv) > 64 {
		add(path+".api_key_env", "must be the NAME of an environment variable, not a key")
	}
}

// maxSlots bounds slots: no engine keeps more conversations cached in
// separate slots than this.
const maxSlots = 64

// Defaults for an ollama provider's keys left out of a file (a providers
// list in a file replaces the bundled one whole, so its entries start bare).
const (
	DefaultPrefillTokensPerSecond = 400
	DefaultDecodeTokensPerSecond  = 30
	DefaultSlowAfter              = 5 * time.Minute
	DefaultKVCacheType            = "f16"
)

// applyDefaults fills the per-provider keys a file left out.
func (c *Config) applyDefaults() {
	for i := range c.Providers {
		p := &c.Providers[i]
		if p.Kind != KindOllama {
			continue
		}
		if p.PrefillTokensPerSecond == 0 {
			p.PrefillTokensPerSecond = DefaultPrefillTokensPerSecond
		}
		if p.DecodeTokensPerSecond == 0 {
			p.DecodeTokensPerSecond = DefaultDecodeTokensPerSecond
		}
		if p.SlowAfter == 0 {
			p.SlowAfter = DefaultSlowAfter
		}
		if p.KVCacheType == "" {
			p.KVCacheType = DefaultKVCacheType
		}
	}
}

func oneOf(s string, options ...string) bool {
	for _, o := range options {
		if s == o {
			return true
		}
	}
	return false
}

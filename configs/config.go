// Package configs holds switchyard's bundled default configuration and the
// one loader that reads it. It is the only package that imports viper; the
// rest of the program gets the typed Config.
package configs

import (
	_ "embed"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Default is the bundled configs/switchyard.yaml: the built-in defaults.
//
//go:embed switchyard.yaml
var Default []byte

// Config is switchyard's whole configuration.
type Config struct {
	Listen    string     `mapstructure:"listen"`
	Auth      Auth       `mapstructure:"auth"`
	Server    Server     `mapstructure:"server"`
	Log       Log        `mapstructure:"log"`
	Providers []Provider `mapstructure:"providers"`
	Pools     []Pool     `mapstructure:"pools"`
	Policy    Policy     `mapstructure:"policy"`
	Audit     Audit      `mapstructure:"audit"`

	// Source is where the configuration came from (a file path, or
	// "built-in defaults"). Not a key.
	Source string `mapstructure:"-"`
}

// Auth is client authentication.
type Auth struct {
	// TokenEnv names an environment variable; when it is set and non-empty
	// clients must send "Authorization: Bearer <value>".
	TokenEnv string `mapstructure:"token_env"`
}

// Server holds HTTP server settings.
type Server struct {
	MaxBodyBytes    ByteSize      `mapstructure:"max_body_bytes"`
	ShutdownTimeout time.Duration `mapstructure:"shutdown_timeout"`
	// KeepAliveInterval is how often a streaming client waiting on a
	// silent prefill gets an SSE comment.
	KeepAliveInterval time.Duration `mapstructure:"keepalive_interval"`
	// MaxProcs is GOMAXPROCS unless the environment sets it; 0 = every
	// core.
	MaxProcs int `mapstructure:"max_procs"`
}

// Log configures logging.
type Log struct {
	Format       string `mapstructure:"format"`
	Level        string `mapstructure:"level"`
	DebugPrompts bool   `mapstructure:"debug_prompts"`
}

// Provider kinds.
const (
	KindOllama  = "ollama"
	KindMistral = "mistral"
	KindGemini  = "gemini"
	KindOpenAI  = "openai"
)

// Provider is one upstream.
type Provider struct {
	Name      string `mapstructure:"name"`
	Kind      string `mapstructure:"kind"`
	BaseURL   string `mapstructure:"base_url"`
	Model     string `mapstructure:"model"`
	APIKeyEnv string `mapstructure:"api_key_env"`
	// Local overrides the kind's default locality (ollama is local, the
	// rest cloud). nil = the kind's default.
	Local         *bool    `mapstructure:"local"`
	ContextWindow int      `mapstructure:"context_window"`
	Memory        ByteSize `mapstructure:"memory"`
	KVCacheType   string   `mapstructure:"kv_cache_type"`

	PrefillTokensPerSecond float64 `mapstructure:"prefill_tokens_per_second"`
	DecodeTokensPerSecond  float64 `mapstructure:"decode_tokens_per_second"`
	// SlowAfter is how long a local job may take before it counts as too
	// slow: a public job predicted to take longer goes to the cloud. It
	// cuts nothing off (first_byte_timeout is the one that does).
	SlowAfter time.Duration `mapstructure:"slow_after"`
	// TimeoutAlias is slow_after under its first name, timeout, still
	// read (and SWITCHYARD_PROVIDERS_<n>_TIMEOUT with it): Read folds it
	// into slow_after before decoding, so it is always 0 here.
	TimeoutAlias     time.Duration `mapstructure:"timeout"`
	FirstByteTimeout time.Duration `mapstructure:"first_byte_timeout"`
	// Slots is how many conversations a local engine keeps in its prompt
	// cache at once (Ollama's OLLAMA_NUM_PARALLEL, llama.cpp's --parallel);
	// 0 = one. A pool credits a returning conversation while it is among
	// the member's last Slots, and has a job wait there only when Slots
	// requests are ahead of it (the engine runs that many side by side).
	Slots int `mapstructure:"slots"`
}

// Pool groups local providers: a job for the local tier may run on any
// member, the one that served its conversation before preferred.
type Pool struct {
	Name    string   `mapstructure:"name"`
	Members []string `mapstructure:"members"`
	// AffinityMargin is how much slower than the quickest member (0.25:
	// 25%) the member that served the conversation before may be
	// predicted and still be chosen; 0 = policy.DefaultAffinityMargin.
	AffinityMargin float64 `mapstructure:"affinity_margin"`
}

// PoolOf returns the name of the pool provider name is a member of, and
// the pool; "" and nil for none.
func (c *Config) PoolOf(name string) (string, *Pool) {
	for i := range c.Pools {
		if slices.Contains(c.Pools[i].Members, name) {
			return c.Pools[i].Name, &c.Pools[i]
		}
	}
	return "", nil
}

// IsLocal reports whether the provider's data stays on this machine (or on
// premises its configuration says are as good): local: true, or kind
// ollama on a loopback address. An ollama provider elsewhere must say
// local: true or local: false (Validate); an address is never taken for
// a statement of where the data may go.
func (p *Provider) IsLocal() bool {
	if p.Local != nil {
		return *p.Local
	}
	return p.Kind == KindOllama && loopbackURL(p.BaseURL)
}

// loopbackURL reports whether raw is an http(s) URL whose host is this
// machine's loopback: localhost, 127.0.0.0/8 or ::1. A name is not
// resolved: what it resolves to may change.
func loopbackURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	h := u.Hostname()
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// Policy holds the routing policy's settings.
type Policy struct {
	DefaultPrivacy      string `mapstructure:"default_privacy"`
	Heavy               Heavy  `mapstructure:"heavy"`
	Secrets             string `mapstructure:"secrets"`
	DefaultOutputTokens int    `mapstructure:"default_output_tokens"`
	// UnknownModel is what a request's model id means when it is neither
	// auto, local, cloud nor a provider's name (Claude Code's claude-…
	// ids): one of those.
	UnknownModel string `mapstructure:"unknown_model"`
}

// Heavy says when a public job is heavy enough to go to the cloud first.
type Heavy struct {
	MinFiles  int `mapstructure:"min_files"`
	MinTokens int `mapstructure:"min_tokens"`
}

// Audit configures the egress log.
type Audit struct {
	Path string `mapstructure:"path"`
}

// Package configs holds switchyard's bundled default configuration and the
// one loader that reads it. It is the only package that imports viper; the
// rest of the program gets the typed Config.
package configs

import (
	_ "embed"
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
}

// IsLocal reports whether the provider's data stays on this machine.
func (p *Provider) IsLocal() bool {
	if p.Local != nil {
		return *p.Local
	}
	return p.Kind == KindOllama
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

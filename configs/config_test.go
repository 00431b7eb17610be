package configs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func envOf(m map[string]string) Env {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestBuiltInDefaults(t *testing.T) {
	cfg, err := Read(nil, BuiltIn, envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:8088" || len(cfg.Providers) != 3 {
		t.Fatalf("listen %q, %d providers", cfg.Listen, len(cfg.Providers))
	}
	local := cfg.Providers[0]
	if local.Name != "local" || !local.IsLocal() || local.SlowAfter != 5*time.Minute || local.PrefillTokensPerSecond != 400 {
		t.Errorf("local provider: %+v", local)
	}
	if cfg.Providers[1].IsLocal() || cfg.Providers[2].ContextWindow != 1048576 {
		t.Errorf("cloud providers: %+v", cfg.Providers[1:])
	}
	if cfg.Server.MaxBodyBytes != 32<<20 {
		t.Errorf("max body %d", cfg.Server.MaxBodyBytes)
	}
	if cfg.Policy.DefaultPrivacy != "private" || cfg.Policy.Secrets != "local" {
		t.Errorf("policy %+v", cfg.Policy)
	}
}

func TestFileOverDefaults(t *testing.T) {
	cfg, err := Read(strings.NewReader("listen: 127.0.0.1:9999\npolicy:\n  heavy:\n    min_files: 9\n"), "test.yaml", envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:9999" || cfg.Policy.Heavy.MinFiles != 9 || cfg.Policy.Heavy.MinTokens != 100000 {
		t.Errorf("merge: %+v", cfg)
	}
	if len(cfg.Providers) != 3 {
		t.Errorf("providers should keep the defaults: %d", len(cfg.Providers))
	}
}

func TestProvidersListReplacesDefaults(t *testing.T) {
	yaml := `
providers:
  - name: box
    kind: ollama
    base_url: http://10.0.0.2:11434
    local: true
    model: qwen3-coder:30b
    memory: 64GiB
`
	cfg, err := Read(strings.NewReader(yaml), "t.yaml", envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Providers) != 1 || cfg.Providers[0].Memory != 64<<30 {
		t.Fatalf("%+v", cfg.Providers)
	}
}

// TestProblemsAllAtOnce: one run reports every problem of every stage
// (unknown keys, values that do not decode, validation), each with its
// key's path, in the order of the keys in the file's structure.
func TestProblemsAllAtOnce(t *testing.T) {
	const topKeys = "(the keys here are listen, auth, server, log, providers, pools, policy, audit)"
	const providerKeys = "(the keys here are name, kind, base_url, model, api_key_env, local, context_window, memory, " +
		"kv_cache_type, prefill_tokens_per_second, decode_tokens_per_second, slow_after, first_byte_timeout, slots)"
	cases := []struct {
		name, yaml string
		want       []string
	}{
		{"unknown-key-and-unknown-kind", `
listne: 127.0.0.1:9000
providers:
  - name: local
    kind: olama
    base_url: http://127.0.0.1:11434
    model: qwen3-coder:30b
`, []string{
			`providers[0].kind: unknown kind "olama" (ollama, mistral, gemini, openai)`,
			"listne: unknown key " + topKeys,
		}},
		{"unknown-keys-at-every-depth", `
listn: x
server:
  max_body: 1MiB
providers:
  - name: a
    kind: ollama
    base_url: http://127.0.0.1:1
    model: m
    num_ctx: 5
`, []string{
			"server.max_body: unknown key (the keys here are max_body_bytes, shutdown_timeout, keepalive_interval, max_procs)",
			"providers[0].num_ctx: unknown key " + providerKeys,
			"listn: unknown key " + topKeys,
		}},
		// A value that does not decode is reported once: not again as the
		// zero value it left behind (max_body_bytes "must be positive").
		{"decode-and-validate", `
server:
  max_body_bytes: lots
  max_procs: many
policy:
  secrets: shout
providers:
  - name: a
    kind: ollama
    base_url: http://127.0.0.1:1
    model: m
    timeout: forever
    local: maybe
`, []string{
			`server.max_body_bytes: "lots" is not a size (write bytes, or a number with KiB, MiB, GiB, TiB)`,
			`server.max_procs: "many" is not a whole number`,
			`providers[0].local: "maybe" is not true or false`,
			`providers[0].timeout: "forever" is not a duration (90s, 5m, 1h30m)`,
			`policy.secrets: must be local, refuse or ignore, not "shout"`,
		}},
		{"validation-only", `
listen: nonsense
policy:
  default_privacy: secret
providers:
  - name: a
    kind: ollama
    base_url: ftp://x
    model: m
  - name: a
    kind: claude
    model: ""
    context_window: -1
  - name: g
    kind: gemini
    model: gemini-3.8-flash
`, []string{
			`listen: "nonsense" is not host:port (address nonsense: missing port in address)`,
			`providers[0].base_url: "ftp://x" is not an http(s) URL`,
			`providers[1].name: "a" is already the name of providers[0]`,
			`providers[1].kind: unknown kind "claude" (ollama, mistral, gemini, openai)`,
			"providers[1].model: is required",
			"providers[1].context_window: must not be negative",
			"providers[2].api_key_env: names the environment variable holding the key; it is required for kind gemini",
			"providers[2].context_window: is required for kind gemini (only ollama, and a local openai engine that says its window, read it from the server)",
			`policy.default_privacy: must be private or public, not "secret"`,
		}},
		{"list-elements-in-order", `
zzz: 1
providers:
  - name: a
    kind: ollama
    base_url: http://127.0.0.1:1
    model: m
  - name: b
    kind: ollama
    base_url: http://127.0.0.1:1
    model: ""
  - name: c
    kind: ollama
    base_url: http://127.0.0.1:1
    model: m
    timeout: -1s
`, []string{
			"providers[1].model: is required",
			"providers[2].timeout: must not be negative",
			"zzz: unknown key " + topKeys,
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Read(strings.NewReader(c.yaml), "t.yaml", envOf(nil))
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("got %v, want a *configs.Error", err)
			}
			var got []string
			for _, p := range ce.Problems {
				got = append(got, p.String())
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("problems:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(c.want, "\n  "))
			}
		})
	}
}

func TestEnvOverrides(t *testing.T) {
	env := envOf(map[string]string{
		"SWITCHYARD_LISTEN":                   "127.0.0.1:9000",
		"SWITCHYARD_POLICY_DEFAULT_PRIVACY":   "public",
		"SWITCHYARD_POLICY_HEAVY_MIN_TOKENS":  "5000",
		"SWITCHYARD_PROVIDERS_0_BASE_URL":     "http://127.0.0.1:1",
		"SWITCHYARD_PROVIDERS_GEMINI_MODEL":   "gemini-3-pro",
		"SWITCHYARD_PROVIDERS_LOCAL_TIMEOUT":  "7m",
		"SWITCHYARD_PROVIDERS_DEVSTRAL_LOCAL": "true",
		"SWITCHYARD_SERVER_MAX_BODY_BYTES":    "1MiB",
	})
	cfg, err := Read(nil, BuiltIn, env)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:9000" || cfg.Policy.DefaultPrivacy != "public" || cfg.Policy.Heavy.MinTokens != 5000 {
		t.Errorf("top-level overrides: %+v", cfg)
	}
	if cfg.Providers[0].BaseURL != "http://127.0.0.1:1" || cfg.Providers[0].SlowAfter != 7*time.Minute {
		t.Errorf("local: %+v", cfg.Providers[0])
	}
	if cfg.Providers[2].Model != "gemini-3-pro" || !cfg.Providers[1].IsLocal() {
		t.Errorf("clouds: %+v", cfg.Providers[1:])
	}
	if cfg.Server.MaxBodyBytes != 1<<20 {
		t.Errorf("size: %d", cfg.Server.MaxBodyBytes)
	}
}

func TestBadEnvValueReported(t *testing.T) {
	_, err := Read(nil, BuiltIn, envOf(map[string]string{"SWITCHYARD_POLICY_HEAVY_MIN_FILES": "many"}))
	if err == nil || !strings.Contains(err.Error(), "min_files") {
		t.Fatalf("got %v", err)
	}
}

func TestLocateOrder(t *testing.T) {
	dir := t.TempDir()
	xdg := filepath.Join(dir, "xdg")
	os.MkdirAll(filepath.Join(xdg, "switchyard"), 0o755)
	xdgFile := filepath.Join(xdg, "switchyard", "switchyard.yaml")
	os.WriteFile(xdgFile, []byte("listen: 127.0.0.1:1\n"), 0o644)

	cases := []struct {
		name, explicit string
		env            map[string]string
		want           string
	}{
		{"flag-wins", "/x.yaml", map[string]string{"SWITCHYARD_CONFIG": "/y.yaml"}, "/x.yaml"},
		{"env-next", "", map[string]string{"SWITCHYARD_CONFIG": "/y.yaml", "XDG_CONFIG_HOME": xdg}, "/y.yaml"},
		{"xdg", "", map[string]string{"XDG_CONFIG_HOME": xdg}, xdgFile},
		{"home", "", map[string]string{"HOME": dir, "XDG_CONFIG_HOME": ""}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Locate(c.explicit, envOf(c.env))
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want && !(c.want == "" && got == "/etc/switchyard/switchyard.yaml") {
				t.Errorf("got %q want %q", got, c.want)
			}
		})
	}
}

func TestLoadMissingExplicitFile(t *testing.T) {
	_, err := Load("/nonexistent/switchyard.yaml", envOf(nil))
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/switchyard.yaml") {
		t.Fatalf("got %v", err)
	}
}

func TestByteSize(t *testing.T) {
	for in, want := range map[string]ByteSize{"0": 0, "1024": 1024, "32MiB": 32 << 20, "64GiB": 64 << 30, "1.5GB": 1500000000, "2k": 2048} {
		got, err := ParseByteSize(in)
		if err != nil || got != want {
			t.Errorf("%q: got %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "lots", "-1", "1XB"} {
		if _, err := ParseByteSize(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// slow_after was first called timeout: the old name is still read, in a
// file and from the environment, problems are reported at the name the
// file wrote, and a file that writes both with different values is told.
func TestSlowAfterAlias(t *testing.T) {
	const provider = "providers:\n  - name: local\n    kind: ollama\n    base_url: http://127.0.0.1:1\n    model: m\n"
	for _, c := range []struct {
		name, yaml string
		env        map[string]string
		want       time.Duration
		problem    string
	}{
		{"old-name", provider + "    timeout: 7m\n", nil, 7 * time.Minute, ""},
		{"new-name", provider + "    slow_after: 8m\n", nil, 8 * time.Minute, ""},
		{"both-alike", provider + "    slow_after: 8m\n    timeout: 8m\n", nil, 8 * time.Minute, ""},
		{"both-differ", provider + "    slow_after: 8m\n    timeout: 7m\n", nil, 0, "providers[0].timeout: is the old name of slow_after, which is set too: keep slow_after alone"},
		{"old-name-negative", provider + "    timeout: -1s\n", nil, 0, "providers[0].timeout: must not be negative"},
		{"env-old-name-beats-file", provider + "    slow_after: 8m\n", map[string]string{"SWITCHYARD_PROVIDERS_LOCAL_TIMEOUT": "9m"}, 9 * time.Minute, ""},
		{"default", provider, nil, DefaultSlowAfter, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := Read(strings.NewReader(c.yaml), "t.yaml", envOf(c.env))
			if c.problem != "" {
				if err == nil || !strings.Contains(err.Error(), c.problem) {
					t.Fatalf("error %v, want %q", err, c.problem)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.Providers[0].SlowAfter; got != c.want {
				t.Errorf("slow_after %s, want %s", got, c.want)
			}
		})
	}
}

func TestUnknownModel(t *testing.T) {
	cfg, err := Read(nil, BuiltIn, envOf(nil))
	if err != nil || cfg.Policy.UnknownModel != "auto" {
		t.Fatalf("bundled: %v %q", err, cfg.Policy.UnknownModel)
	}
	for v, ok := range map[string]bool{"cloud": true, "devstral": true, "local": true, "claude": false} {
		_, err := Read(strings.NewReader("policy:\n  unknown_model: "+v+"\n"), "t.yaml", envOf(nil))
		if (err == nil) != ok {
			t.Errorf("unknown_model %s: %v", v, err)
		}
		if !ok && !strings.Contains(fmt.Sprint(err), `policy.unknown_model: must be auto, local, cloud or a provider's name, not "claude"`) {
			t.Errorf("unknown_model %s: %v", v, err)
		}
	}
}

// TestLocalityIsStated: an Ollama on this machine's loopback is local;
// one anywhere else is whatever its local key says, and without one the
// configuration is refused with what to write: an address is never taken
// to say where private code may go.
func TestLocalityIsStated(t *testing.T) {
	for _, tc := range []struct {
		url, local string
		want       bool
		problem    string
	}{
		{url: "http://127.0.0.1:11434", want: true},
		{url: "http://127.8.9.10:11434", want: true},
		{url: "http://localhost:11434", want: true},
		{url: "http://[::1]:11434", want: true},
		{url: "http://192.168.1.20:11434", problem: "providers[0].local: http://192.168.1.20:11434 is not this machine: say local: true"},
		{url: "http://spark.lan:11434", problem: "providers[0].local: http://spark.lan:11434 is not this machine"},
		{url: "http://localhost.evil.example:11434", problem: "is not this machine"},
		{url: "http://192.168.1.20:11434", local: "true", want: true},
		{url: "http://192.168.1.20:11434", local: "false", want: false},
		{url: "http://127.0.0.1:11434", local: "false", want: false},
	} {
		yaml := "providers:\n  - name: box\n    kind: ollama\n    model: m\n    base_url: " + tc.url + "\n"
		if tc.local != "" {
			yaml += "    local: " + tc.local + "\n"
		}
		cfg, err := Read(strings.NewReader(yaml), "t.yaml", envOf(nil))
		if tc.problem != "" {
			if err == nil || !strings.Contains(err.Error(), tc.problem) {
				t.Errorf("%s: %v, want a problem saying %q", tc.url, err, tc.problem)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s local=%q: %v", tc.url, tc.local, err)
			continue
		}
		if got := cfg.Providers[0].IsLocal(); got != tc.want {
			t.Errorf("%s local=%q: IsLocal %v, want %v", tc.url, tc.local, got, tc.want)
		}
	}
}

// TestPools reads a pool and refuses the pools a job could leak through or
// that name nothing.
func TestPools(t *testing.T) {
	const providers = `providers:
  - name: local
    kind: ollama
    base_url: http://127.0.0.1:11434
    model: qwen3-coder:30b
  - name: spark
    kind: ollama
    base_url: http://192.168.1.20:11434
    local: true
    model: qwen3-coder:30b
  - name: lan
    kind: ollama
    base_url: http://192.168.1.30:11434
    local: false
    model: qwen3-coder:30b
  - name: devstral
    kind: mistral
    base_url: https://api.mistral.ai/v1
    model: m
    api_key_env: MISTRAL_API_KEY
    context_window: 262144
`
	cfg, err := Read(strings.NewReader(providers+"pools:\n  - name: office\n    members: [local, spark]\n    affinity_margin: 0.5\n"), "t.yaml", envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	if name, p := cfg.PoolOf("spark"); name != "office" || p.AffinityMargin != 0.5 {
		t.Errorf("PoolOf(spark) = %q, %+v", name, p)
	}
	if name, _ := cfg.PoolOf("devstral"); name != "" {
		t.Errorf("devstral is in pool %q", name)
	}
	for _, tc := range []struct{ pools, problem string }{
		{"  - name: office\n    members: [local, devstral]\n", `pools[0].members[1]: "devstral" is not local`},
		{"  - name: office\n    members: [local, lan]\n", `pools[0].members[1]: "lan" is not local`},
		{"  - name: office\n    members: [local, nosuch]\n", `pools[0].members[1]: "nosuch" is not the name of a provider`},
		{"  - name: office\n    members: []\n", "pools[0].members: names the local providers"},
		{"  - name: a\n    members: [local]\n  - name: b\n    members: [local, spark]\n", `pools[1].members[0]: "local" is already a member of pool "a"`},
		{"  - name: spark\n    members: [local]\n", `pools[0].name: "spark" is already a provider's name`},
		{"  - name: cloud\n    members: [local]\n", "pools[0].name: \"cloud\" is a routing word"},
		{"  - name: a\n    members: [local]\n  - name: a\n    members: [spark]\n", `pools[1].name: "a" is already the name of another pool`},
		{"  - members: [local]\n", "pools[0].name: is required"},
		{"  - name: a\n    members: [local]\n    affinity_margin: -1\n", "pools[0].affinity_margin: must not be negative"},
	} {
		_, err := Read(strings.NewReader(providers+"pools:\n"+tc.pools), "t.yaml", envOf(nil))
		if err == nil || !strings.Contains(err.Error(), tc.problem) {
			t.Errorf("%q: %v, want %q", tc.pools, err, tc.problem)
		}
	}
}

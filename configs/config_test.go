package configs

import (
	"os"
	"path/filepath"
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
	if local.Name != "local" || !local.IsLocal() || local.Timeout != 5*time.Minute || local.PrefillTokensPerSecond != 400 {
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

func TestUnknownKeysNamed(t *testing.T) {
	yaml := "listn: x\nproviders:\n  - name: a\n    kind: ollama\n    base_url: http://h:1\n    model: m\n    num_ctx: 5\n"
	_, err := Read(strings.NewReader(yaml), "t.yaml", envOf(nil))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"listn", "num_ctx", "providers[0]"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %q:\n%v", want, err)
		}
	}
}

func TestAllProblemsAtOnce(t *testing.T) {
	yaml := `
listen: nonsense
policy:
  default_privacy: secret
  secrets: shout
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
    model: gemini-2.5-pro
`
	_, err := Read(strings.NewReader(yaml), "t.yaml", envOf(nil))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"listen:", "policy.default_privacy", "policy.secrets", "providers[0].base_url",
		"providers[1].name", "providers[1].kind", "providers[1].model", "providers[1].context_window",
		"providers[2].context_window", "providers[2].api_key_env"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
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
	if cfg.Providers[0].BaseURL != "http://127.0.0.1:1" || cfg.Providers[0].Timeout != 7*time.Minute {
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

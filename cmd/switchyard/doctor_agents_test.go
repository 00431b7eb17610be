package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeHome writes files (path relative to a new home: content) and
// returns the home.
func writeHome(t *testing.T, files map[string]string) string {
	t.Helper()
	home := t.TempDir()
	for name, body := range files {
		p := filepath.Join(home, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return home
}

// doctorAgentsReport runs the agents' checks for a local window of native
// tokens, with the home and environment given.
func doctorAgentsReport(t *testing.T, native int, home string, env map[string]string) string {
	t.Helper()
	cfg, _ := setupRig(t, native, "private", nil)
	env["HOME"] = home
	r := &report{}
	doctorAgents(context.Background(), r, cfg, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	var out bytes.Buffer
	printReport(&out, r)
	return out.String()
}

// TestDoctorAgentsWrongConfigs: agents pointed at switchyard that believe
// in a bigger window than it serves are flagged with both numbers and the
// command that fixes them; one not pointed at it is mentioned, not judged.
func TestDoctorAgentsWrongConfigs(t *testing.T) {
	home := writeHome(t, map[string]string{
		".codex/config.toml": "model = \"auto\"\nmodel_provider = \"sy\"\n[model_providers.sy]\nbase_url = \"http://localhost:8088/v1\"\nwire_api = \"responses\"\n",
		".config/opencode/opencode.json": `{"provider":{"sy":{"options":{"baseURL":"http://127.0.0.1:8088/v1"},"models":{"auto":{"name":"auto"}}},
			"other":{"options":{"baseURL":"https://api.example.com/v1"},"models":{"x":{"limit":{"context":1000000}}}}}}`,
		".claude/settings.json": `{"env":{"ANTHROPIC_BASE_URL":"http://127.0.0.1:8088"}}`,
		".qwen/settings.json":   `{"model":{"generationConfig":{"contextWindowSize":200000}}}`,
		".gemini/settings.json": `{"security":{"auth":{"selectedType":"gemini-api-key"}}}`,
	})
	out := doctorAgentsReport(t, 131072, home, map[string]string{
		"OPENAI_BASE_URL":        "https://api.openai.com/v1", // Qwen Code elsewhere
		"GOOGLE_GEMINI_BASE_URL": "http://127.0.0.1:8088",
	})
	for _, want := range []string{
		"! codex config: codex assumes 272,000 tokens (its fallback for a model it does not know); local 131072 serves 131,072: it will overflow mid-task — fix: switchyard setup codex --write",
		"! opencode config: opencode is pointed at switchyard (provider sy) but model sy/auto has no limit.context, so opencode never compacts it",
		"! claude-code config: claude-code assumes 1,000,000 tokens",
		"✓ qwen-code config: qwen-code is not pointed at switchyard (OPENAI_BASE_URL https://api.openai.com/v1)",
		"! gemini-cli config: gemini-cli assumes 524,288 tokens (the default compressionThreshold 0.5",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor lacks %q:\n%s", want, out)
		}
	}
}

// TestDoctorAgentsRightConfigs: what `switchyard setup AGENT --write`
// writes passes doctor's check, for the same window; and a smaller window
// discovered later makes the same files wrong.
func TestDoctorAgentsRightConfigs(t *testing.T) {
	home := t.TempDir()
	cfg, repo := setupRig(t, 65536, "private", nil)
	f := facts(t, cfg, repo, nil)
	for i := range agentSetups {
		if agentSetups[i].edit != nil {
			if err := writeAgentSetup(&agentSetups[i], f, home, &bytes.Buffer{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Gemini CLI and Qwen Code take their base URLs from the environment
	// setup printed.
	env := map[string]string{"GOOGLE_GEMINI_BASE_URL": f.Base, "OPENAI_BASE_URL": f.Base + "/v1"}
	out := doctorAgentsReport(t, 65536, home, env)
	for _, name := range []string{"claude-code", "codex", "opencode", "qwen-code", "gemini-cli", "crush"} {
		if !strings.Contains(out, "✓ "+name+" config: "+name+" is pointed at switchyard") {
			t.Errorf("%s, set up by switchyard, is not found right:\n%s", name, out)
		}
	}
	out = doctorAgentsReport(t, 32768, home, env)
	for _, name := range []string{"claude-code", "codex", "opencode", "qwen-code", "gemini-cli", "crush"} {
		if !strings.Contains(out, "! "+name+" config: "+name+" assumes ") || !strings.Contains(out, "serves 32,768: it will overflow mid-task") {
			t.Errorf("%s set up for 65,536 is not flagged once 32,768 is served:\n%s", name, out)
		}
	}
}

func TestSameListener(t *testing.T) {
	for _, c := range []struct {
		url, listen string
		want        bool
	}{
		{"http://127.0.0.1:8088/v1", "127.0.0.1:8088", true},
		{"http://localhost:8088", "127.0.0.1:8088", true},
		{"http://[::1]:8088/v1", "127.0.0.1:8088", true},
		{"http://127.0.0.1:8089/v1", "127.0.0.1:8088", false},
		{"https://api.openai.com/v1", "127.0.0.1:8088", false},
		{"http://10.0.0.5:8088", "0.0.0.0:8088", true},
		{"", "127.0.0.1:8088", false},
	} {
		if got := sameListener(c.url, c.listen); got != c.want {
			t.Errorf("sameListener(%q, %q) = %v", c.url, c.listen, got)
		}
	}
}

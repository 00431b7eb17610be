//go:build e2e

package main

// opencode and Qwen Code, told by switchyard in OpenAI's words that a
// private job no longer fits the local window, compact their conversation
// and carry on.

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/configs"
	"github.com/switchyard/switchyard/providers/ollama/ollamafake"
)

// TestClientsChatAgentsCompact runs, for each chat-completions agent, the
// task of TestClientsClaudeCodeCompacts: a private repository, two files
// read one after the other, and a local window that holds the agent's
// first request and one file but not both (each agent asks for 32,000
// output tokens, which count against the window). switchyard refuses the
// turn after the second file with a 400 worded as OpenAI's ("This model's
// maximum context length is M tokens. However, you requested N tokens …",
// code context_length_exceeded); the agent must compact (a request in its
// own summarization prompt, which fits) and finish the task from the
// summary, every turn on the local model: after compaction the agent
// states no directory any more, only the files it had read.
func TestClientsChatAgentsCompact(t *testing.T) {
	verifyNoLeaks(t)
	k := requireClients(t)
	const window = 66000
	g := startClientRigWith(t, rigPolicy{defaultPrivacy: "public", heavyMinTk: 1, keepAlive: time.Second}, func(cfg *configs.Config) {
		cfg.Providers[0].ContextWindow = window
	})
	for _, c := range []struct {
		agent, read string
		args        func(path string) string
		// compacting is a phrase of the agent's own summarization prompt.
		compacting string
		// failsRecovered: opencode run exits 1 after any session error,
		// even one it recovered from: its processor sets needsCompaction
		// and still publishes the ContextOverflowError, and run keeps
		// every error it printed for its exit status (opencode 1.18.33).
		failsRecovered bool
	}{
		// Tool names and arguments from the schemas each agent sends.
		{"qwen-code", "read_file", func(p string) string { return jsonObject("file_path", p) },
			"summarizes a conversation when its context window is about to overflow", false},
		{"opencode", "read", func(p string) string { return jsonObject("filePath", p) },
			"You are a context summarization agent", true},
	} {
		t.Run(c.agent, func(t *testing.T) {
			a := codingAgents[slices.IndexFunc(codingAgents, func(a codingAgent) bool { return a.name == c.agent })]
			repo, nonce, files := compactTask(t, 50000)
			read := func(name string) ollamafake.Reply {
				return ollamafake.Reply{Steps: []ollamafake.Step{{ToolCalls: []ollamafake.ScriptedCall{{Name: c.read,
					Arguments: c.args(filepath.Join(repo, name))}}}}}
			}
			prompt := "Read notes-a.txt and then notes-b.txt and tell me when done. Task " + nonce + "."
			// Qwen Code keeps a summary only when it holds a closed
			// <state_snapshot> (hasStateSnapshot in its compression
			// service); opencode takes the text as it is.
			summary := "<analysis>Two files were read.</analysis>\n<state_snapshot>Task " + nonce +
				": notes-a.txt and notes-b.txt were both read in full; what remains is to tell the user.</state_snapshot>"
			var asked []string
			g.local.setScript(func(tn turn) (ollamafake.Reply, string, bool) {
				switch {
				case !strings.Contains(tn.allText, nonce):
				case strings.Contains(tn.allText, c.compacting):
					asked = append(asked, tn.lastText[:min(len(tn.lastText), 120)])
					return ollamafake.Text(summary), "summary", true
				case strings.Contains(tn.allText, "were both read in full"):
					return ollamafake.Text("Both files read."), "final", true
				case tn.lastRole == "tool" && strings.Contains(tn.lastText, "notes-b.txt line 1:"):
					return ollamafake.Text("Both files read."), "too-late", true
				case tn.lastRole == "tool" && strings.Contains(tn.lastText, "notes-a.txt line 1:"):
					return read(files[1]), "read-b", true
				case tn.lastRole == "user" && strings.Contains(tn.lastText, "Read notes-a.txt"):
					return read(files[0]), "read-a", true
				}
				return ollamafake.Reply{}, "", false
			})
			home := newHome(t)
			bin, args, env := a.command(t, k, home, g.base, prompt)
			ctx, cancel := context.WithTimeout(context.Background(), agentTimeout)
			defer cancel()
			stdout, stderr, err := k.run(ctx, repo, k.env(home, env...), bin, args...)
			all := g.tap.exchanges(t)
			for _, ex := range all {
				t.Logf("%s %d route %s reason %s, %s tokens", ex.path, ex.status, ex.header.Get("X-Switchyard-Route"),
					ex.header.Get("X-Switchyard-Reason"), ex.header.Get("X-Switchyard-Estimated-Tokens"))
				if ex.status >= 400 {
					t.Logf("  answer %.600s", ex.answer)
				}
			}
			t.Logf("compaction requests: %q", asked)
			if err != nil && !(c.failsRecovered && strings.Contains(stderr, "maximum context length is")) {
				t.Fatalf("%s: %v\nstdout:\n%s\nstderr:\n%s", c.agent, err, stdout, stderr)
			}
			// Qwen Code may ask twice for the summary (once sharing the
			// conversation's cached prefix, once without tools).
			if got, want := slices.Compact(labels(g.local)), []string{"read-a", "read-b", "summary", "final"}; !slices.Equal(got, want) {
				t.Errorf("the local fake answered %q, want %q\nstdout:\n%s\nstderr:\n%s", got, want, stdout, stderr)
			}
			if !strings.Contains(stdout, "Both files read.") {
				t.Errorf("%s did not print the final answer:\n%s\nstderr:\n%s", c.agent, stdout, stderr)
			}
			tooLong := regexp.MustCompile(`^This model's maximum context length is (\d+) tokens\. However, you requested \d+ tokens`)
			refusals := 0
			for _, ex := range all {
				if ex.path != a.chat || !strings.Contains(string(ex.body), nonce) {
					continue
				}
				if r := ex.header.Get("X-Switchyard-Route"); r != "local" && r != "none" {
					t.Errorf("a turn of the private task went to %q", r)
				}
				var e struct {
					Error struct{ Message, Code string }
				}
				if ex.status == 400 && json.Unmarshal(ex.answer, &e) == nil && e.Error.Code == "context_length_exceeded" {
					refusals++
					if m := tooLong.FindStringSubmatch(e.Error.Message); m == nil || m[1] != fmt.Sprint(window) {
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
		})
	}
}

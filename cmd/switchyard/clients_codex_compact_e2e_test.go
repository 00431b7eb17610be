//go:build e2e

package main

// Codex, told by switchyard that a private job no longer fits the local
// window, compacts its conversation and carries on.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/configs"
	"github.com/switchyard/switchyard/providers/ollama/ollamafake"
)

// TestClientsCodexCompacts gives the local model a window a little larger
// than Codex's first request, in a private repository, and scripts a task
// that reads two files with its shell: the turn after the second file no
// longer fits. Codex 0.169 compacts only by its own count of the
// conversation against model_auto_compact_token_limit, and a turn refused
// as too long ends the turn ("Codex ran out of room in the model's context
// window") rather than compacting and retrying (measured here; codex-rs
// maps the code context_length_exceeded to ContextWindowExceeded). So:
//
//   - told the window it will get (model_context_window and
//     model_auto_compact_token_limit, as switchyard setup codex writes
//     them), Codex compacts before the overflow and finishes from the
//     summary, every turn on the local model and none refused;
//   - not told, it is refused with context_length_exceeded, which it
//     reports as its own context-window error: the turn fails with the
//     numbers in switchyard's message, and nothing leaves the machine.
func TestClientsCodexCompacts(t *testing.T) {
	verifyNoLeaks(t)
	k := requireClients(t)
	// The first turn is ~9,400 tokens, each file read adds ~4,400 (Codex
	// truncates a command's output): the third turn, ~18,100 with the
	// answer's minimum room, does not fit 17,000.
	const window = 17000
	g := startClientRigWith(t, rigPolicy{defaultPrivacy: "public", heavyMinTk: 1, keepAlive: time.Second}, func(cfg *configs.Config) {
		cfg.Providers[0].ContextWindow = window
	})
	for _, told := range []bool{true, false} {
		name := map[bool]string{true: "told-its-window-compacts-in-time", false: "not-told-is-refused-in-codex-terms"}[told]
		t.Run(name, func(t *testing.T) { codexCompactRun(t, k, g, window, told) })
	}
}

func codexCompactRun(t *testing.T, k *clientKit, g *clientRig, window int, told bool) {
	repo, nonce, files := compactTask(t, 24000)
	read := func(name string) ollamafake.Reply {
		return ollamafake.Reply{Steps: []ollamafake.Step{{ToolCalls: []ollamafake.ScriptedCall{{Name: "exec_command",
			Arguments: jsonObject("cmd", "cat "+name)}}}}}
	}
	summary := "Task " + nonce + ": notes-a.txt and notes-b.txt were both read in full; what remains is to tell the user."
	g.local.setScript(func(tn turn) (ollamafake.Reply, string, bool) {
		switch {
		case !strings.Contains(tn.allText, nonce):
		case strings.Contains(tn.lastText, "CONTEXT CHECKPOINT COMPACTION"):
			// Codex's compaction request (codex-rs core/templates/compact/prompt.md).
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
	localBefore, cloudBefore, tapBefore := len(g.local.turns()), len(g.cloudChats()), len(g.tap.exchanges(t))
	home := newHome(t)
	prompt := "Read notes-a.txt and then notes-b.txt with cat and tell me when done. Task " + nonce + "."
	a := codingAgents[slices.IndexFunc(codingAgents, func(a codingAgent) bool { return a.name == "codex" })]
	bin, args, env := a.command(t, k, home, g.base, prompt)
	if told {
		// The limit leaves room for one more file read after it is passed.
		cfgPath := filepath.Join(home, ".codex", "config.toml")
		cfg, err := os.ReadFile(cfgPath)
		if err != nil {
			t.Fatal(err)
		}
		cfg = append([]byte(fmt.Sprintf("model_context_window = %d\nmodel_auto_compact_token_limit = %d\n", window, window-5000)), cfg...)
		if err := os.WriteFile(cfgPath, cfg, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), agentTimeout)
	defer cancel()
	stdout, stderr, err := k.run(ctx, repo, k.env(home, env...), bin, args...)
	all := g.tap.exchanges(t)[tapBefore:]
	for _, ex := range all {
		t.Logf("%s %d route %s reason %s, %s tokens", ex.path, ex.status, ex.header.Get("X-Switchyard-Route"),
			ex.header.Get("X-Switchyard-Reason"), ex.header.Get("X-Switchyard-Estimated-Tokens"))
	}
	var got []string
	for _, s := range g.local.turns()[localBefore:] {
		if s.label != "" {
			got = append(got, s.label)
		}
	}
	refusals := 0
	for _, ex := range all {
		if ex.path != "/v1/responses" {
			continue
		}
		if r := ex.header.Get("X-Switchyard-Route"); r != "local" && r != "none" {
			t.Errorf("a turn of the private task went to %q", r)
		}
		var e struct {
			Error struct{ Type, Code, Message string }
		}
		if ex.status == 400 && json.Unmarshal(ex.answer, &e) == nil && e.Error.Code == "context_length_exceeded" {
			refusals++
			if e.Error.Type != "invalid_request_error" || !strings.Contains(e.Error.Message, fmt.Sprintf("> %d)", window)) {
				t.Errorf("refusal %s", ex.answer)
			}
		}
	}
	if n := len(g.cloudChats()) - cloudBefore; n != 0 {
		t.Errorf("the cloud fake received %d chat requests of a private task", n)
	}
	if told {
		if err != nil {
			t.Fatalf("codex: %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
		}
		if want := []string{"read-a", "read-b", "summary", "final"}; !slices.Equal(got, want) {
			t.Errorf("the local fake answered %q, want %q", got, want)
		}
		if !strings.Contains(stdout, "Both files read.") || refusals != 0 {
			t.Errorf("%d refusals; Codex printed:\n%s\nstderr:\n%s", refusals, stdout, stderr)
		}
		return
	}
	if want := []string{"read-a", "read-b"}; err == nil || !slices.Equal(got, want) || refusals == 0 {
		t.Errorf("codex exited with %v after the local fake answered %q (want %q) and %d refusals", err, got, want, refusals)
	}
	if !strings.Contains(stderr, "ran out of room in the model's context window") {
		t.Errorf("Codex did not take the refusal for a context-window error:\n%s", stderr)
	}
}

//go:build e2e

package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/configs"
)

// TestClientsSetupWritten runs each coding agent configured by nothing
// but what `switchyard setup AGENT --write` wrote into its home and the
// environment lines it printed (the run's own isolation aside: a proxy on a
// closed port, telemetry off): the agent reaches switchyard, a private
// repository's task stays on the local fake and completes its tool round
// trip, so the generated configuration is one the real agent reads.
func TestClientsSetupWritten(t *testing.T) {
	verifyNoLeaks(t)
	k := requireClients(t)
	var cfg configs.Config
	g := startClientRigWith(t, rigPolicy{defaultPrivacy: "public", heavyMinFiles: 0, heavyMinTk: 1, keepAlive: time.Second}, func(c *configs.Config) { cfg = *c })
	read, err := configs.Read(strings.NewReader(configYAML(t, cfg)), "rig.yaml", func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range codingAgents {
		ag := agentNamed(a.name)
		if ag == nil || ag.edit == nil {
			t.Fatalf("switchyard setup has no written configuration for %s", a.name)
		}
		t.Run(a.name, func(t *testing.T) {
			repo := newRepo(t, "private")
			f, err := gatherSetup(context.Background(), read, repo, func(string) (string, bool) { return "", false }, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if f.Privacy != "private" || f.Window != 262144 {
				t.Fatalf("facts %+v", f)
			}
			// The agent goes through the tap, which stands where switchyard
			// listens.
			f.Base = g.base
			viaSetup := a
			viaSetup.command = func(t *testing.T, k *clientKit, home, base, prompt string) (string, []string, []string) {
				bin, args, env := a.command(t, k, home, base, prompt)
				// What the run wrote for itself goes; setup writes the file.
				os.Remove(filepath.Join(home, ag.file))
				var out bytes.Buffer
				if err := writeAgentSetup(ag, f, home, &out); err != nil {
					t.Fatal(err)
				}
				written, _ := os.ReadFile(filepath.Join(home, ag.file))
				t.Logf("%s\n%s", out.String(), written)
				return bin, args, setupEnv(env, ag.envLines(f), string(written))
			}
			run := runAgentTask(t, k, g, viaSetup, repo, 0)
			if got := labels(g.local); !slices.Equal(got, []string{"call", "final"}) {
				t.Errorf("the local fake answered %q of the task, want [call final]", got)
			}
			checkRouted(t, g, run, repo, "local", "private")
		})
	}
}

// setupEnv is env without what setup provides (a variable its environment
// lines set, or one its written file names), plus those lines.
func setupEnv(env, lines []string, written string) []string {
	set := map[string]string{}
	for _, l := range lines {
		kv, ok := strings.CutPrefix(strings.TrimSpace(l), "export ")
		if !ok {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		set[k] = strings.Trim(v, `"`)
	}
	var out []string
	for _, e := range env {
		k, _, _ := strings.Cut(e, "=")
		if _, ok := set[k]; ok || strings.Contains(written, `"`+k+`"`) {
			continue
		}
		out = append(out, e)
	}
	for k, v := range set {
		out = append(out, k+"="+v)
	}
	return out
}

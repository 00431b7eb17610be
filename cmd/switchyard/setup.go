package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/switchyard/switchyard/configs"
	"github.com/switchyard/switchyard/policy"
)

// setupFacts is what an agent pointed at switchyard should be told: where
// switchyard listens, how to authenticate, and the window a job of the
// repository will really get.
type setupFacts struct {
	// Base is switchyard's root URL (no /v1).
	Base string
	// TokenEnv names the variable holding switchyard's token when auth is
	// on; setup writes the name, never the value.
	TokenEnv string
	// Window is the smallest window a job of the repository may be served
	// with: what the agent must not exceed.
	Window int
	// Output is the answer budget the agent should ask for.
	Output int
	// Compact is the conversation size at which the agent should compact:
	// the window less the answer budget and a tenth of the window for the
	// next turn's growth (a tool result, the user's message).
	Compact int
	// Repo and Privacy are the repository the numbers are for and its
	// privacy; Served names the providers a job of it may use, each with
	// its window ("local 131072").
	Repo, Privacy string
	Served        []string
}

// compactAt is the compaction threshold for a window and an answer budget.
func compactAt(window, output int) int {
	c := window - output - window/10
	if c < window/2 {
		c = window / 2
	}
	return c
}

// gatherSetup decides, as the daemon would, what a job of repo may use,
// and returns the facts for its agent. It asks the local models for their
// windows (discovery and memory fit) and sends nothing anywhere else.
func gatherSetup(ctx context.Context, cfg *configs.Config, repo string, env configs.Env, errw io.Writer) (*setupFacts, error) {
	a, err := build(ctx, cfg, slog.New(slog.DiscardHandler), env, appExtras{})
	if err != nil {
		return nil, err
	}
	defer a.close()
	pctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	for _, lm := range a.locals {
		if err := lm.Prime(pctx); err != nil {
			fmt.Fprintf(errw, "switchyard: %s is not reachable (%v); its window is the configured one\n", lm.cfg.Name, err)
		}
	}
	cancel()
	h := http.Header{}
	if repo != "" {
		h.Set("X-Switchyard-Repo", repo)
	}
	ex, err := a.router.Explain(h, []byte(`{"model":"auto","messages":[{"role":"user","content":"setup"}]}`))
	if err != nil {
		return nil, err
	}
	f := &setupFacts{Base: "http://" + cfg.Listen, Repo: ex.Repo, Privacy: ex.Privacy, Output: cfg.Policy.DefaultOutputTokens}
	if f.Output == 0 {
		f.Output = policy.DefaultOutputTokens
	}
	if cfg.Auth.TokenEnv != "" {
		if v, _ := env(cfg.Auth.TokenEnv); v != "" {
			f.TokenEnv = cfg.Auth.TokenEnv
		}
	}
	plan, note := ex.Plan, ""
	if len(plan) == 0 {
		// Nothing can take a job now (the local model is down): the
		// local models' configured windows are what a job will get once
		// it is back, and a turn may always run there.
		for _, lm := range a.locals {
			plan = append(plan, lm.cfg.Name)
		}
		note = " (configured; not reachable now)"
	}
	for _, name := range plan {
		u := a.upstream(name)
		w := u.ContextWindow
		if u.Window != nil {
			w, _ = u.Window()
		}
		if w <= 0 {
			continue
		}
		f.Served = append(f.Served, fmt.Sprintf("%s %d%s", name, w, note))
		if f.Window == 0 || w < f.Window {
			f.Window = w
		}
	}
	if f.Window == 0 {
		why := "no provider it may use has a known window"
		if ex.Refusal != nil {
			why = ex.Refusal.Message
		}
		return nil, fmt.Errorf("cannot tell the window a job of %s gets: %s; start the local model (switchyard doctor says what is wrong) or set context_window on its provider", orUnknown(f.Repo), why)
	}
	f.Output = min(f.Output, f.Window/4)
	f.Compact = compactAt(f.Window, f.Output)
	return f, nil
}

func setupCmd() *cobra.Command {
	var configPath, repo string
	var write bool
	cmd := &cobra.Command{
		Use:   "setup AGENT",
		Short: "Print (or --write) an agent's configuration pointing it at switchyard, with the window it will really get",
		Long: "Prints the configuration that points AGENT at switchyard in that agent's own format: the base URL\n" +
			"of the dialect it speaks, the token variable when auth is on, model auto, and the context window\n" +
			"and compaction threshold it should assume. The window is the smallest one a job of the repository\n" +
			"(--repo, default the current directory) may be served with, as the daemon decides it: a private\n" +
			"repository's is the local window switchyard sends as num_ctx. --write edits the agent's own file\n" +
			"in place and keeps a backup beside it; it never writes a key.\n\n" +
			"Agents: " + strings.Join(agentNames(), ", "),
		Args:      cobra.ExactArgs(1),
		ValidArgs: agentNames(),
		RunE: func(cmd *cobra.Command, args []string) error {
			ag := agentNamed(args[0])
			if ag == nil {
				return fmt.Errorf("unknown agent %q: switchyard sets up %s", args[0], strings.Join(agentNames(), ", "))
			}
			if repo == "" {
				repo = "."
			}
			abs, err := filepath.Abs(repo)
			if err != nil {
				return err
			}
			cfg, err := configs.Load(configPath, lookupEnv)
			if err != nil {
				return err
			}
			f, err := gatherSetup(cmd.Context(), cfg, abs, lookupEnv, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			if !write {
				fmt.Fprint(cmd.OutOrStdout(), ag.print(f))
				return nil
			}
			home, err := os.UserHomeDir()
			if err != nil {
				return err
			}
			return writeAgentSetup(ag, f, home, cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "", "configuration file")
	cmd.Flags().StringVar(&repo, "repo", "", "the repository the agent works in (default: the current directory)")
	cmd.Flags().BoolVar(&write, "write", false, "edit the agent's configuration file in place (a backup is kept beside it)")
	return cmd
}

// writeAgentSetup edits the agent's file under home, after a backup of
// what was there, and says what it did and what is left to do.
func writeAgentSetup(ag *agentSetup, f *setupFacts, home string, out io.Writer) error {
	if ag.file == "" || ag.edit == nil {
		return fmt.Errorf("%s keeps its settings where switchyard does not edit them (%s); paste what `switchyard setup %s` prints", ag.name, ag.where, ag.name)
	}
	path := filepath.Join(home, ag.file)
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	updated, err := ag.edit(old, f)
	if err != nil {
		return fmt.Errorf("%s: %w (nothing was written)", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	mode := os.FileMode(0o644)
	if old != nil {
		if st, err := os.Stat(path); err == nil {
			mode = st.Mode().Perm()
		}
		backup := path + ".switchyard-backup-" + time.Now().Format("20060102-150405")
		if err := os.WriteFile(backup, old, mode); err != nil {
			return fmt.Errorf("keeping a backup of %s: %w (nothing was written)", path, err)
		}
		fmt.Fprintf(out, "kept %s\n", backup)
	}
	tmp := path + ".switchyard-tmp"
	if err := os.WriteFile(tmp, updated, mode); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	fmt.Fprintf(out, "wrote %s: window %d, compaction at %d, answers up to %d tokens\n", path, f.Window, f.Compact, f.Output)
	if env := ag.envLines(f); len(env) > 0 {
		fmt.Fprintf(out, "and in the environment %s runs in:\n%s", ag.name, strings.Join(env, ""))
	}
	return nil
}

func agentNames() []string {
	var out []string
	for _, a := range agentSetups {
		out = append(out, a.name)
	}
	return out
}

func agentNamed(name string) *agentSetup {
	i := slices.IndexFunc(agentSetups, func(a agentSetup) bool { return a.name == name })
	if i < 0 {
		return nil
	}
	return &agentSetups[i]
}

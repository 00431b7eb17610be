package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/switchyard/switchyard/configs"
	"github.com/switchyard/switchyard/policy/workspace"
	"github.com/switchyard/switchyard/providers"
	"github.com/switchyard/switchyard/providers/mistral"
)

// A doctor check's outcome.
const (
	statusOK   = "ok"
	statusWarn = "warn"
	statusFail = "fail"
)

// finding is one line of doctor's report.
type finding struct {
	Check   string `json:"check"`
	Status  string `json:"status"`
	Finding string `json:"finding"`
	Fix     string `json:"fix,omitempty"`
}

type report struct{ Findings []finding }

func (r *report) add(check, status, fix, format string, args ...any) {
	r.Findings = append(r.Findings, finding{Check: check, Status: status, Finding: fmt.Sprintf(format, args...), Fix: fix})
}

func (r *report) failed() bool {
	for _, f := range r.Findings {
		if f.Status == statusFail {
			return true
		}
	}
	return false
}

func doctorCmd() *cobra.Command {
	var configPath string
	var asJSON bool
	var repos []string
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the setup: Ollama, the local model's window and memory, cloud keys and models, policy files",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r := runDoctor(cmd.Context(), configPath, repos, lookupEnv)
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				enc.Encode(map[string]any{"ok": !r.failed(), "checks": r.Findings})
			} else {
				printReport(cmd.OutOrStdout(), r)
			}
			if r.failed() {
				return exitError{1}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "", "configuration file")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the checks as JSON")
	cmd.Flags().StringArrayVar(&repos, "repo", nil, "also check this repository's .switchyard.yaml (repeatable; the current directory is always checked)")
	return cmd
}

func printReport(w io.Writer, r *report) {
	marks := map[string]string{statusOK: "✓", statusWarn: "!", statusFail: "✗"}
	for _, f := range r.Findings {
		line := fmt.Sprintf("%s %s: %s", marks[f.Status], f.Check, f.Finding)
		if f.Fix != "" && f.Status != statusOK {
			line += " — fix: " + f.Fix
		}
		fmt.Fprintln(w, line)
	}
}

// runDoctor checks everything it can and never stops at the first problem.
func runDoctor(ctx context.Context, configPath string, repos []string, env configs.Env) *report {
	r := &report{}
	cfg, err := configs.Load(configPath, env)
	if err != nil {
		r.add("config", statusFail, "correct the file; every problem is listed", "%v", err)
		return r
	}
	r.add("config", statusOK, "", "%s is valid (%d providers)", cfg.Source, len(cfg.Providers))
	log := slog.New(slog.DiscardHandler)
	a, err := build(ctx, cfg, log, env, appExtras{})
	if err != nil {
		r.add("config", statusFail, "correct the provider entry", "%v", err)
		return r
	}
	defer a.close()
	for _, lm := range a.locals {
		doctorLocal(ctx, r, lm)
	}
	for _, pc := range cfg.Providers {
		if pc.Kind != configs.KindOllama {
			doctorCloud(ctx, r, a, pc, env, time.Now())
			doctorEngine(ctx, r, a, pc)
		}
	}
	doctorPools(r, a, cfg)
	doctorPolicies(r, workspace.NewStore(workspace.StoreOptions{}), policyDirs(repos))
	doctorAgents(ctx, r, cfg, env)
	return r
}

// doctorKey says whether pc's key variable is set, never its value; it
// reports false for a provider whose key is configured and missing.
func doctorKey(r *report, pc configs.Provider, env configs.Env) bool {
	if pc.APIKeyEnv == "" {
		return true
	}
	if v, _ := env(pc.APIKeyEnv); v == "" {
		r.add(pc.Name+" key", statusWarn, fmt.Sprintf("export %s=<your key> in switchyard's environment (systemd: EnvironmentFile= or LoadCredential=)", pc.APIKeyEnv),
			"%s is not set: %s is configured but unavailable, and public jobs cannot use it", pc.APIKeyEnv, pc.Name)
		return false
	}
	r.add(pc.Name+" key", statusOK, "", "%s is set (%s)", pc.APIKeyEnv, pc.Name)
	return true
}

// doctorRetired says what the table of retired ids knows of pc's model,
// which needs neither a key nor the network: the table's entry (nil when
// it lists none), and whether the id is retired already, which is not worth
// asking the vendor about.
func doctorRetired(r *report, pc configs.Provider, now time.Time) (known *retiredModel, retired bool) {
	known = retiredModelOf(pc.Kind, pc.Model)
	if known == nil {
		return nil, false
	}
	status, text := known.finding(pc.Model, now)
	r.add(pc.Name+" model", status, fmt.Sprintf("set model: %s, which %s names as its replacement", known.replacement, vendors[pc.Kind]), "%s", text)
	return known, status == statusFail
}

// modelChecker is implemented by cloud adapters that can tell whether their
// model id still exists.
type modelChecker interface {
	CheckModel(ctx context.Context) error
}

func doctorCloud(ctx context.Context, r *report, a *app, pc configs.Provider, env configs.Env, now time.Time) {
	name := pc.Name
	keyed := doctorKey(r, pc, env)
	known, retired := doctorRetired(r, pc, now)
	if retired || !keyed {
		return
	}
	u := a.upstream(name)
	mc, ok := u.Provider.(modelChecker)
	if !ok {
		return
	}
	cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	err := mc.CheckModel(cctx)
	var pe *providers.Error
	var dep *mistral.DeprecatedError
	switch {
	case errors.As(err, &dep):
		r.add(name+" model", statusWarn, "move to "+orUnknown(dep.Replacement)+" before the retirement date", "%v", err)
	case known != nil && (err == nil || errors.As(err, &pe) && pe.Kind == providers.KindUnavailable && pe.Status == 0):
		// The table's warning already says what there is to say.
	case err == nil:
		r.add(name+" model", statusOK, "", "%s exists at %s", pc.Model, name)
	case errors.As(err, &pe) && pe.Kind == providers.KindUnavailable && pe.Status == 0:
		r.add(name+" model", statusWarn, "check the network and base_url", "could not ask %s whether %s exists: %s", name, pc.Model, pe.Message)
	default:
		r.add(name+" model", statusFail, "set model to a current id (see the vendor's model list and deprecation page)", "%s: %v", pc.Model, err)
	}
}

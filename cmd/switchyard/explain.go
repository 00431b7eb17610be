package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/switchyard/switchyard/configs"
)

func explainCmd() *cobra.Command {
	var configPath, repo string
	cmd := &cobra.Command{
		Use:   "explain [REQUEST.json | -]",
		Short: "Print the routing decision for a chat request as JSON; sends nothing upstream",
		Long: "Reads an OpenAI chat completions request (a file, or - / nothing for standard input) and prints\n" +
			"where switchyard would send it and why, exactly as the running daemon would decide. It asks the\n" +
			"local Ollama for the model's window and vocabulary, and never sends the job anywhere.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var in io.Reader = cmd.InOrStdin()
			if len(args) == 1 && args[0] != "-" {
				f, err := os.Open(args[0])
				if err != nil {
					return err
				}
				defer f.Close()
				in = f
			}
			body, err := io.ReadAll(in)
			if err != nil {
				return err
			}
			cfg, err := configs.Load(configPath, lookupEnv)
			if err != nil {
				return err
			}
			h := http.Header{}
			if repo != "" {
				abs, err := filepath.Abs(repo)
				if err != nil {
					return err
				}
				h.Set("X-Switchyard-Repo", abs)
			}
			return explain(cmd.Context(), cfg, h, body, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "", "configuration file")
	cmd.Flags().StringVar(&repo, "repo", "", "the repository the request belongs to (as the X-Switchyard-Repo header)")
	return cmd
}

func explain(ctx context.Context, cfg *configs.Config, h http.Header, body []byte, out, errw io.Writer) error {
	log := slog.New(slog.NewTextHandler(errw, &slog.HandlerOptions{Level: slog.LevelWarn}))
	a, err := build(ctx, cfg, log, lookupEnv, appExtras{})
	if err != nil {
		return err
	}
	defer a.close()
	pctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	for _, lm := range a.locals {
		if err := lm.Prime(pctx); err != nil {
			fmt.Fprintf(errw, "switchyard: %s is not reachable (%v); its window is unknown and counts are estimates\n", lm.cfg.Name, err)
		}
	}
	cancel()
	ex, err := a.router.Explain(h, body)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(ex)
}

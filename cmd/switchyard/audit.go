package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/switchyard/switchyard/configs"
	"github.com/switchyard/switchyard/router/audit"
)

func auditCmd() *cobra.Command {
	var configPath, since, until string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Summarise what left the machine: jobs and tokens per provider, and the local share",
		Long: "Reads the egress audit log (every job sent to a cloud provider, recorded before it was sent)\n" +
			"and the local usage tally beside it, and prints jobs and tokens per provider for a period.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := configs.Load(configPath, lookupEnv)
			if err != nil {
				return err
			}
			now := time.Now()
			from, err := parseWhen(since, now)
			if err != nil {
				return fmt.Errorf("--since: %w", err)
			}
			to := now.Add(time.Second)
			if until != "" {
				if to, err = parseWhen(until, now); err != nil {
					return fmt.Errorf("--until: %w", err)
				}
			}
			path := auditPath(cfg, lookupEnv)
			s, err := audit.Summarize(path, filepath.Join(filepath.Dir(path), "usage.jsonl"), from, to)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(s)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "egress log: %s\n", path)
			s.WriteTable(cmd.OutOrStdout())
			return nil
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "", "configuration file")
	cmd.Flags().StringVar(&since, "since", "24h", "start of the period: a duration back from now (24h, 7d) or a date (2026-11-01, RFC 3339)")
	cmd.Flags().StringVar(&until, "until", "", "end of the period (default: now)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// parseWhen reads "24h", "7d", "2026-11-01" or an RFC 3339 time.
func parseWhen(s string, now time.Time) (time.Time, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		var days int
		if _, err := fmt.Sscanf(d, "%d", &days); err == nil && days >= 0 {
			return now.AddDate(0, 0, -days), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", s, time.Local); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not a duration (24h, 7d) or a date (2026-11-01)", s)
}

// Command switchyard routes coding agents' chat requests between a local
// Ollama model and cloud models, by policy.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

// exitError carries an exit status out of a command.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func main() {
	root := &cobra.Command{
		Use:           "switchyard",
		Short:         "Route coding agents' LLM requests between a local Ollama and cloud models, by policy",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(serveCmd(), explainCmd(), doctorCmd(), setupCmd(), auditCmd(), versionCmd())
	if err := root.Execute(); err != nil {
		var ee exitError
		if errors.As(err, &ee) {
			os.Exit(ee.code)
		}
		fmt.Fprintln(os.Stderr, "switchyard:", err)
		os.Exit(2)
	}
}

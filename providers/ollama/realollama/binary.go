package realollama

import (
	"fmt"
	"os"
)

// Version is the Ollama release the rig is built from and checked against.
const Version = "0.17.4"

// BinaryEnv names the ollama binary to run, overriding DefaultBinary.
const BinaryEnv = "SWITCHYARD_OLLAMA_BIN"

// DefaultBinary is where .ci/install-ollama.sh installs Ollama.
const DefaultBinary = "/usr/local/bin/ollama-" + Version

// Binary returns the ollama binary the rig runs: $SWITCHYARD_OLLAMA_BIN, or
// DefaultBinary. It fails, naming the install script, when that file is
// missing or not executable; integration tests then fail rather than skip.
func Binary() (string, error) {
	bin := os.Getenv(BinaryEnv)
	from := BinaryEnv
	if bin == "" {
		bin, from = DefaultBinary, "the default path"
	}
	fi, err := os.Stat(bin)
	switch {
	case err != nil:
		return "", fmt.Errorf("realollama: no Ollama %s at %s (%s): run `bash .ci/install-ollama.sh` first, or set %s: %w",
			Version, bin, from, BinaryEnv, err)
	case fi.IsDir() || fi.Mode().Perm()&0o111 == 0:
		return "", fmt.Errorf("realollama: %s (%s) is not an executable file: run `bash .ci/install-ollama.sh`, or set %s",
			bin, from, BinaryEnv)
	}
	return bin, nil
}

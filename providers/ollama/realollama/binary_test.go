package realollama

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBinary(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "ollama")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, env, want, wantErr string
	}{
		{"env-names-executable", exe, exe, ""},
		{"env-names-missing-file", filepath.Join(dir, "nope"), "", ".ci/install-ollama.sh"},
		{"env-names-non-executable", plain, "", "not an executable"},
		{"env-names-directory", dir, "", "not an executable"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(BinaryEnv, c.env)
			got, err := Binary()
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, c.wantErr)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("Binary() = %q, %v; want %q", got, err, c.want)
			}
		})
	}
}

func TestBinaryDefaultPathMessage(t *testing.T) {
	t.Setenv(BinaryEnv, "")
	bin, err := Binary()
	if err == nil {
		if bin != DefaultBinary {
			t.Errorf("Binary() = %q, want %q", bin, DefaultBinary)
		}
		return
	}
	for _, want := range []string{DefaultBinary, ".ci/install-ollama.sh", BinaryEnv} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

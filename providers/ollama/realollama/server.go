package realollama

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Options configures a Server. The zero value is ready to use.
type Options struct {
	// Env is added to the environment of `ollama serve` after the rig's
	// own settings, so it may override them: "OLLAMA_DEBUG=1" (the log
	// then carries every rendered prompt), "OLLAMA_CONTEXT_LENGTH=8192",
	// "OLLAMA_KV_CACHE_TYPE=q8_0", "OLLAMA_NEW_ENGINE=0" (llama.cpp runner).
	Env []string
}

// Server is a running `ollama serve` with Model available. It is stopped,
// with every runner process it started, when the test that started it
// ends.
type Server struct {
	// URL is the server's base URL, "http://127.0.0.1:<port>".
	URL string
	// Model is the tiny model's name (the constant Model).
	Model string

	proc *serveProc
}

// Start starts an Ollama server for t and returns once it answers. The
// first Start in a test binary also generates and imports the tiny model
// (some seconds); later ones reuse it. Start fails t, never skips it, when
// the binary is missing or is not Ollama Version, and when the test binary
// does not run through Main.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		t.Fatal(err)
	}
	models, took, err := modelStore(bin)
	if err != nil {
		t.Fatal(err)
	}
	if took > 0 {
		t.Logf("realollama: created %s in %s", Model, took.Round(time.Millisecond))
	}

	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	if err := os.Mkdir(home, 0o755); err != nil {
		t.Fatal(err)
	}
	p, err := startServe(t.Context(), bin, home, models, filepath.Join(dir, "ollama.log"), opts.Env)
	if err != nil {
		t.Fatal(err)
	}
	// Registered after t.TempDir's cleanup, so it runs before the
	// directory the server writes to is removed.
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(p.logTail(60))
		}
		if err := p.stop(); err != nil {
			t.Error(err)
		}
	})

	v, err := p.version(t.Context(), probeClient())
	if err != nil {
		t.Fatal(err)
	}
	if v != Version {
		t.Fatalf("realollama: %s reports version %q, want %q: run `bash .ci/install-ollama.sh` or fix %s",
			bin, v, Version, BinaryEnv)
	}
	return &Server{URL: p.url, Model: Model, proc: p}
}

// Stop stops the server and its runners now, as a machine that goes away
// would; the test's cleanup then has nothing left to stop.
func (s *Server) Stop() error { return s.proc.stop() }

// Log returns everything the server has written to its log so far. With
// Options.Env "OLLAMA_DEBUG=1" that includes each rendered prompt.
func (s *Server) Log() string {
	b, err := os.ReadFile(s.proc.logPath)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	return string(b)
}

// Variant is a model definition derived from another one in the server's
// store, as POST /api/create with "from" makes it. Empty fields are
// omitted from the request, so the source model's value carries over.
type Variant struct {
	// Name is the new model's name; it must be unique within the test
	// binary, whose servers share one store.
	Name string
	// From is the source model; empty means Model.
	From string
	// Parameters are Modelfile PARAMETERs, e.g. {"num_ctx": 262144}.
	Parameters map[string]any
	// Template replaces the chat template.
	Template string
	// Renderer and Parser select Ollama's built-in prompt renderer and
	// output parser (e.g. "qwen3-coder") instead of a template.
	Renderer string
	Parser   string
}

// CreateVariant creates v on the server and fails t if Ollama refuses.
func (s *Server) CreateVariant(t testing.TB, v Variant) {
	t.Helper()
	if v.Name == "" {
		t.Fatal("realollama: CreateVariant: empty Name")
	}
	if v.From == "" {
		v.From = Model
	}
	body, err := json.Marshal(map[string]any{
		"model":      v.Name,
		"from":       v.From,
		"parameters": v.Parameters,
		"template":   v.Template,
		"renderer":   v.Renderer,
		"parser":     v.Parser,
		"stream":     false,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), createTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/api/create", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
	if err != nil {
		t.Fatalf("realollama: create %s: %v", v.Name, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("realollama: create %s: %s: %s", v.Name, resp.Status, out)
	}
}

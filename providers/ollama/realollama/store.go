package realollama

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// createTimeout bounds `ollama create`, which converts ~40 MB of F32
// safetensors and an 11 MB tokenizer.json; it is a guard against a hang.
const createTimeout = 5 * time.Minute

// shared is the model store every Server of this test binary uses: the
// tiny model is generated and imported once, then each server gets it by
// pointing OLLAMA_MODELS at the same directory.
var shared struct {
	mu         sync.Mutex
	mainActive bool
	tried      bool
	root       string // removed by Main
	models     string // OLLAMA_MODELS
	took       time.Duration
	err        error
}

// Main runs a test binary's tests, then removes the model store that the
// Servers of this binary shared, and exits with the tests' status. Call it
// from TestMain in every package that calls Start:
//
//	func TestMain(m *testing.M) { realollama.Main(m) }
func Main(m *testing.M) {
	shared.mu.Lock()
	shared.mainActive = true
	shared.mu.Unlock()

	code := m.Run()

	shared.mu.Lock()
	root := shared.root
	shared.mu.Unlock()
	if root != "" {
		if err := os.RemoveAll(root); err != nil {
			fmt.Fprintf(os.Stderr, "realollama: remove the shared model store: %v\n", err)
			if code == 0 {
				code = 1
			}
		}
	}
	os.Exit(code)
}

// modelStore returns the shared OLLAMA_MODELS directory holding Model,
// creating it with bin on first use, and how long creating took (zero when
// an earlier call created it). A failure is remembered: every later test
// gets the same error rather than a second slow attempt.
func modelStore(bin string) (models string, took time.Duration, err error) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if !shared.mainActive {
		return "", 0, errors.New("realollama: Start needs TestMain to call realollama.Main(m), which removes the shared model store when the tests end")
	}
	if shared.tried {
		return shared.models, 0, shared.err
	}
	shared.tried = true
	root, err := os.MkdirTemp("", "realollama-")
	if err != nil {
		shared.err = fmt.Errorf("realollama: %w", err)
		return "", 0, shared.err
	}
	shared.root = root
	start := time.Now()
	shared.models, shared.err = createStore(bin, root)
	shared.took = time.Since(start)
	return shared.models, shared.took, shared.err
}

// createStore writes the tiny model's files under root, imports them with
// `ollama create` into root/models through a server of its own, and
// deletes the source files, which the store no longer needs.
func createStore(bin, root string) (string, error) {
	src := filepath.Join(root, "src")
	models := filepath.Join(root, "models")
	home := filepath.Join(root, "create-home")
	for _, d := range []string{src, models, home} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return "", fmt.Errorf("realollama: %w", err)
		}
	}
	if err := WriteModelDir(src, TinyModelConfig()); err != nil {
		return "", err
	}
	mf, err := modelfile(src)
	if err != nil {
		return "", err
	}
	mfPath := filepath.Join(root, "Modelfile")
	if err := os.WriteFile(mfPath, []byte(mf), 0o644); err != nil {
		return "", fmt.Errorf("realollama: %w", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), createTimeout)
	defer cancel()
	p, err := startServe(ctx, bin, home, models, filepath.Join(root, "create.log"), nil)
	if err != nil {
		return "", err
	}
	createErr := runCreate(ctx, bin, p, home, mfPath)
	stopErr := p.stop()
	if err := errors.Join(createErr, stopErr); err != nil {
		return "", err
	}
	if err := os.RemoveAll(src); err != nil {
		return "", fmt.Errorf("realollama: %w", err)
	}
	return models, nil
}

// runCreate runs the client side of `ollama create`, which uploads the
// model directory's files as blobs and has the server convert them.
func runCreate(ctx context.Context, bin string, p *serveProc, home, modelfilePath string) error {
	cmd := exec.CommandContext(ctx, bin, "create", Model, "-f", modelfilePath)
	cmd.Dir = home
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"OLLAMA_HOST=" + strings.TrimPrefix(p.url, "http://"),
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("realollama: ollama create %s: %w\n%s\n%s", Model, err, lastLines(out.String(), 20), p.logTail(40))
	}
	return nil
}

// lastLines returns the last n lines of s, dropping the carriage-return
// redraws of the CLI's progress display.
func lastLines(s string, n int) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if i := strings.LastIndexByte(l, '\r'); i >= 0 {
			l = l[i+1:]
		}
		if strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

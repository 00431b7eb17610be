package realollama

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Bounds against hangs, not performance assertions: a CPU-only Ollama
// answers /api/version in well under a second once it listens.
const (
	readyTimeout = 90 * time.Second
	stopGrace    = 15 * time.Second
	pollEvery    = 50 * time.Millisecond
)

// serveProc is one running `ollama serve` and the process group it leads;
// the runner subprocesses Ollama starts for loaded models join that group
// (llm/llm_linux.go gives them no SysProcAttr of their own), so signalling
// the group reaches all of them.
type serveProc struct {
	url     string
	logPath string
	cmd     *exec.Cmd
	exited  chan struct{} // closed once cmd.Wait returns
	waitErr error         // valid after exited is closed
}

// serveEnv is the environment of `ollama serve`: nothing inherited but
// PATH, so no stray OLLAMA_* setting of the host leaks in, and no way out
// to the network.
func serveEnv(addr, home, models string, extra []string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"TMPDIR=" + home,
		"OLLAMA_HOST=" + addr,
		"OLLAMA_MODELS=" + models,
		// Servers of one test binary share the model store; pruning
		// "unused" blobs at startup could delete what another server
		// is creating.
		"OLLAMA_NOPRUNE=1",
		"OLLAMA_NO_CLOUD=1",
		// One sequence per model, so num_ctx is the whole KV cache
		// rather than a share of it.
		"OLLAMA_NUM_PARALLEL=1",
		// Qwen3-Coder (qwen3moe) always runs on Ollama's own engine
		// (fs/ggml/ggml.go OllamaEngineRequired); qwen2 would otherwise
		// go to the llama.cpp runner. Same runner, same truncation code.
		"OLLAMA_NEW_ENGINE=1",
		// Anything that tries the network fails at once instead of
		// hanging; Go never proxies loopback, so the runners still work.
		"HTTP_PROXY=http://127.0.0.1:9",
		"HTTPS_PROXY=http://127.0.0.1:9",
		"ALL_PROXY=http://127.0.0.1:9",
	}
	// exec.Cmd keeps the last value of a repeated key, so extra wins.
	return append(env, extra...)
}

// startServe runs `bin serve` on a free loopback port with models as its
// store, state under home, and output appended to logPath; it returns once
// /api/version answers. On error nothing is left running.
func startServe(ctx context.Context, bin, home, models, logPath string, extra []string) (*serveProc, error) {
	var lastErr error
	// A free port can be taken between probing and binding; try again.
	for range 3 {
		p, err := startServeOnce(ctx, bin, home, models, logPath, extra)
		if err == nil {
			return p, nil
		}
		lastErr = err
		if !strings.Contains(err.Error(), "address already in use") {
			break
		}
	}
	return nil, lastErr
}

func startServeOnce(ctx context.Context, bin, home, models, logPath string, extra []string) (*serveProc, error) {
	addr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("realollama: %w", err)
	}
	defer logf.Close() // the child holds its own descriptor

	cmd := exec.Command(bin, "serve")
	cmd.Dir = home
	cmd.Env = serveEnv(addr, home, models, extra)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("realollama: start %s serve: %w", bin, err)
	}
	p := &serveProc{url: "http://" + addr, logPath: logPath, cmd: cmd, exited: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	if err := p.waitReady(ctx); err != nil {
		p.stop()
		return nil, fmt.Errorf("%w\n%s", err, p.logTail(40))
	}
	return p, nil
}

func freeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("realollama: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// waitReady polls /api/version until it answers 200, the process exits, or
// readyTimeout passes.
func (p *serveProc) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	client := probeClient()
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		if _, err := p.version(ctx, client); err == nil {
			return nil
		}
		select {
		case <-p.exited:
			return fmt.Errorf("realollama: ollama serve exited before it was ready: %v", p.waitErr)
		case <-ctx.Done():
			return fmt.Errorf("realollama: ollama serve at %s not ready after %s: %w", p.url, readyTimeout, ctx.Err())
		case <-tick.C:
		}
	}
}

// probeClient returns a client for one-off requests that keeps no idle
// connection, so no transport goroutine outlives the server.
func probeClient() *http.Client {
	return &http.Client{
		Timeout:   2 * time.Second,
		Transport: &http.Transport{DisableKeepAlives: true},
	}
}

// version asks the server for /api/version.
func (p *serveProc) version(ctx context.Context, client *http.Client) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url+"/api/version", nil)
	if err != nil {
		return "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET /api/version: %s", resp.Status)
	}
	var v struct {
		Version string `json:"version"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		return "", fmt.Errorf("GET /api/version: %w", err)
	}
	return v.Version, nil
}

// stop ends the server and its runners: SIGTERM to the group (Ollama then
// unloads its runners, server/routes.go Serve), SIGKILL to whatever is
// left after stopGrace. It returns an error if any process of the group is
// still alive afterwards.
func (p *serveProc) stop() error {
	pgid := p.cmd.Process.Pid // Setpgid: the leader's pid is the group id
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(stopGrace):
	}
	// Runners outlive a serve that died uncleanly; the group reaches them.
	if err := syscall.Kill(-pgid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("realollama: kill process group %d: %w", pgid, err)
	}
	<-p.exited
	deadline := time.Now().Add(stopGrace)
	for groupAlive(pgid) {
		// Runners killed after serve died are reaped by init, not by
		// us, so the group can take a moment to empty.
		if time.Now().After(deadline) {
			return fmt.Errorf("realollama: processes of group %d still alive %s after SIGKILL", pgid, stopGrace)
		}
		time.Sleep(pollEvery)
	}
	return nil
}

// groupAlive reports whether any process of group pgid still runs. Zombies
// do not count: they hold no resources, and an init that never reaps
// (some containers' pid 1) would otherwise keep the group "alive" forever.
func groupAlive(pgid int) bool {
	// Signal 0 probes: ESRCH means the group is gone, zombies included.
	if err := syscall.Kill(-pgid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil || len(stats) == 0 {
		return true // no /proc to look closer: trust kill
	}
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue // exited while we looked
		}
		// proc(5): "pid (comm) state ppid pgrp ..."; comm may hold
		// spaces and parentheses, so split after the last ')'.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) >= 3 && f[2] == strconv.Itoa(pgid) && f[0] != "Z" {
			return true
		}
	}
	return false
}

// logTail returns the last n lines of the server's log.
func (p *serveProc) logTail(n int) string {
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "ollama serve log (" + filepath.Base(p.logPath) + ", last " + strconv.Itoa(len(lines)) + " lines):\n" + string(bytes.Join(lines, []byte("\n")))
}

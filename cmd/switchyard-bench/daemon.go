package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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

// daemon is a real `switchyard serve` running as a child process: its RSS
// is its own, and nothing of the benchmark shares its heap or scheduler.
type daemon struct {
	URL    string
	cmd    *exec.Cmd
	log    *os.File
	exited chan struct{}
	err    error
}

// buildSwitchyard builds ./cmd/switchyard into dir.
func buildSwitchyard(ctx context.Context, root, dir string) (string, error) {
	bin := filepath.Join(dir, "switchyard")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/switchyard")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/switchyard: %v\n%s", err, out)
	}
	return bin, nil
}

// moduleRoot is the directory of the go.mod governing the working directory.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("run switchyard-bench from inside the switchyard module")
	}
	return filepath.Dir(mod), nil
}

// freeAddr returns a loopback address nothing listens on right now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// startDaemon writes config (with {{LISTEN}} replaced by a free address) into
// dir and runs bin serve on it, with an environment of its own (nothing of
// the caller's SWITCHYARD_* or proxies) plus env. It returns once /healthz
// answers.
func startDaemon(bin, dir, config string, env []string) (*daemon, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "switchyard.yaml")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(config, "{{LISTEN}}", addr)), 0o600); err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "switchyard.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", "--config", path)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "XDG_STATE_HOME=" + dir}, env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	d := &daemon{URL: "http://" + addr, cmd: cmd, log: logf, exited: make(chan struct{})}
	go func() {
		d.err = cmd.Wait()
		close(d.exited)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(d.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			return d, nil
		}
		select {
		case <-d.exited:
			return nil, fmt.Errorf("switchyard exited at start (%v); see %s", d.err, logf.Name())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			d.stop()
			return nil, fmt.Errorf("switchyard did not answer /healthz within 30s; see %s", logf.Name())
		}
	}
}

// waitExact waits until the daemon counts tokens with the model's own
// vocabulary, fetched from the fake Ollama at start: only then is it the
// daemon that serves agents.
func (d *daemon) waitExact(timeout time.Duration) error {
	body := shortConversation("/nonexistent").request("#probe hello", false)
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		resp, err := http.Post(d.URL+"/v1/switchyard/explain", "application/json", bytes.NewReader(body))
		if err == nil {
			var ex struct {
				Exact bool `json:"estimated_tokens_exact"`
			}
			json.NewDecoder(resp.Body).Decode(&ex)
			resp.Body.Close()
			if ex.Exact {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("switchyard did not load the model's vocabulary within %s; see %s", timeout, d.log.Name())
}

// memory is the child's resident set now and at its peak, in bytes
// (/proc/PID/status VmRSS and VmHWM).
func (d *daemon) memory() (rss, peak int64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", d.cmd.Process.Pid))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		fields := strings.Fields(v)
		if len(fields) == 0 {
			continue
		}
		kb, _ := strconv.ParseInt(fields[0], 10, 64)
		if k == "VmRSS" {
			rss = kb << 10
		} else {
			peak = kb << 10
		}
	}
	return rss, peak, sc.Err()
}

// goroutines reads go_goroutines from the daemon's /metrics.
func (d *daemon) goroutines() (int, error) {
	resp, err := http.Get(d.URL + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(io.LimitReader(resp.Body, 4<<20))
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go_goroutines "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return int(f), err
		}
	}
	return 0, errors.New("/metrics has no go_goroutines")
}

// stop sends SIGTERM, which drains in-flight requests, and kills the
// process if it has not exited after 15 s.
func (d *daemon) stop() error {
	defer d.log.Close()
	select {
	case <-d.exited:
		return d.err
	default:
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
		return d.err
	case <-time.After(15 * time.Second):
		d.cmd.Process.Kill()
		<-d.exited
		return errors.New("switchyard did not stop within 15s of SIGTERM; killed")
	}
}

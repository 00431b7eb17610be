package realollama

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// fakeEnv selects what the test binary does when startServe runs it in
// place of ollama: "serve" answers /api/version like `ollama serve` and
// starts a "runner" child that ignores SIGTERM, as a wedged llama runner
// would; "fail" exits at once with an error.
const fakeEnv = "REALOLLAMA_FAKE"

// fakeServeMain runs the fake and exits when the test binary was started
// as one; otherwise it returns.
func fakeServeMain() {
	switch os.Getenv(fakeEnv) {
	case "":
		return
	case "serve":
		fakeServe()
	case "runner":
		signal.Ignore(syscall.SIGTERM)
		if err := os.WriteFile(os.Getenv("REALOLLAMA_FAKE_PIDFILE"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
			os.Exit(2)
		}
		select {}
	case "fail":
		fmt.Fprintln(os.Stderr, "Error: fake serve refuses to start")
		os.Exit(1)
	}
	os.Exit(3)
}

func fakeServe() {
	l, err := net.Listen("tcp", os.Getenv("OLLAMA_HOST"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
	runner := exec.Command(os.Args[0])
	runner.Env = append(os.Environ(), fakeEnv+"=runner")
	if err := runner.Start(); err != nil {
		os.Exit(1)
	}
	// The body /api/version returns in Ollama 0.17.4 (server/routes.go).
	http.HandleFunc("GET /api/version", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		json.NewEncoder(w).Encode(map[string]string{"version": Version})
	})
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	go http.Serve(l, nil)
	<-sig
	os.Exit(0) // leaves the runner behind, as a crashing serve would
}

func startFake(t *testing.T, mode string) (*serveProc, string, error) {
	t.Helper()
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pidfile := filepath.Join(dir, "runner.pid")
	p, err := startServe(context.Background(), bin, dir, dir, filepath.Join(dir, "serve.log"),
		[]string{fakeEnv + "=" + mode, "REALOLLAMA_FAKE_PIDFILE=" + pidfile})
	return p, pidfile, err
}

func TestStopEndsServeAndItsOrphanedRunner(t *testing.T) {
	defer goleak.VerifyNone(t)
	p, pidfile, err := startFake(t, "serve")
	if err != nil {
		t.Fatal(err)
	}
	pgid := p.cmd.Process.Pid
	var runner int
	for deadline := time.Now().Add(30 * time.Second); runner == 0; time.Sleep(pollEvery) {
		if b, err := os.ReadFile(pidfile); err == nil && len(b) > 0 {
			runner, _ = strconv.Atoi(string(b))
		} else if time.Now().After(deadline) {
			p.stop()
			t.Fatal("fake runner never started")
		}
	}
	if pg, err := syscall.Getpgid(runner); err != nil || pg != pgid {
		t.Fatalf("runner %d is in group %d (%v), want the serve group %d", runner, pg, err, pgid)
	}

	if err := p.stop(); err != nil {
		t.Fatal(err)
	}
	if groupAlive(pgid) {
		t.Errorf("process group %d still has live members after stop", pgid)
	}
	select {
	case <-p.exited:
	default:
		t.Error("stop returned before serve was reaped")
	}
}

func TestStartServeReportsEarlyExitWithLog(t *testing.T) {
	defer goleak.VerifyNone(t)
	_, _, err := startFake(t, "fail")
	if err == nil {
		t.Fatal("startServe succeeded with a serve that exits at once")
	}
	for _, want := range []string{"exited before it was ready", "fake serve refuses to start"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

func TestStartServeFailsForMissingBinary(t *testing.T) {
	dir := t.TempDir()
	_, err := startServe(context.Background(), filepath.Join(dir, "no-such-ollama"), dir, dir, filepath.Join(dir, "log"), nil)
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v, want a wrapped os.ErrNotExist", err)
	}
}

func TestGroupAliveForUnknownGroup(t *testing.T) {
	// Group ids are pids; pid_max caps them well below this.
	if groupAlive(1 << 30) {
		t.Error("groupAlive reports a group that cannot exist")
	}
}

func TestServeEnvLetsExtraOverride(t *testing.T) {
	cmd := exec.Command("env")
	cmd.Env = serveEnv("127.0.0.1:1", "/h", "/m", []string{"OLLAMA_NEW_ENGINE=0", "OLLAMA_DEBUG=1"})
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		k, v, _ := strings.Cut(l, "=")
		got[k] = v
	}
	for k, want := range map[string]string{
		"OLLAMA_NEW_ENGINE": "0", "OLLAMA_DEBUG": "1", "OLLAMA_HOST": "127.0.0.1:1",
		"OLLAMA_MODELS": "/m", "HOME": "/h", "OLLAMA_NOPRUNE": "1", "HTTPS_PROXY": "http://127.0.0.1:9",
	} {
		if got[k] != want {
			t.Errorf("%s = %q, want %q", k, got[k], want)
		}
	}
}

func TestLastLinesDropsProgressRedraws(t *testing.T) {
	in := "gathering model components \ncopying file 10%\rcopying file 100%\n\nsuccess\n"
	if got, want := lastLines(in, 2), "copying file 100%\nsuccess"; got != want {
		t.Errorf("lastLines = %q, want %q", got, want)
	}
}

package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/providers/ollama/ollamafake"
)

// notifySocket is a fake NOTIFY_SOCKET that collects sd_notify messages.
type notifySocket struct {
	c *net.UnixConn
}

func newNotifySocket(t *testing.T) (*notifySocket, string) {
	path := filepath.Join(t.TempDir(), "notify.sock")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &notifySocket{c: c}, path
}

// expect reads messages until one starts with want, failing on timeout; it
// returns what it skipped.
func (n *notifySocket) expect(t *testing.T, want string) []string {
	t.Helper()
	var skipped []string
	buf := make([]byte, 4096)
	for {
		n.c.SetReadDeadline(time.Now().Add(10 * time.Second))
		k, err := n.c.Read(buf)
		if err != nil {
			t.Fatalf("waiting for %q after %q: %v", want, skipped, err)
		}
		msg := string(buf[:k])
		if strings.HasPrefix(msg, want) {
			return skipped
		}
		skipped = append(skipped, msg)
	}
}

func getBody(t *testing.T, url string) string {
	t.Helper()
	r, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return string(b)
}

// TestServeLifecycle: READY once listening; a valid config change reloads
// while a stream is in flight (it finishes on the old config); an invalid
// one is refused and the old one keeps serving, as /readyz says; SIGTERM
// (here: the context) drains the in-flight stream, says STOPPING and exits 0.
func TestServeLifecycle(t *testing.T) {
	sock, path := newNotifySocket(t)
	t.Setenv("NOTIFY_SOCKET", path)

	fake := ollamafake.New(ollamafake.Options{Models: []ollamafake.Model{ollamafake.Qwen3Coder30B()}})
	up := httptest.NewServer(fake)
	defer up.Close()
	dir := t.TempDir()
	base := seedConfig(t, dir, up.URL)
	listen := base.Listen
	cfgPath := writeConfigOf(t, dir, base)
	with := func(privacy string) []byte {
		c := base
		c.Policy.DefaultPrivacy = privacy
		return []byte(configYAML(t, c))
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfgPath, func(string) (string, bool) { return "", false }) }()
	defer cancel()
	url := "http://" + listen
	sock.expect(t, "READY=1")
	waitReady(t, url)

	// A slow stream in flight across the reload and the shutdown.
	fake.Enqueue(ollamafake.Reply{FirstChunkDelay: 2500 * time.Millisecond, Steps: []ollamafake.Step{{Content: "still "}, {Content: "here"}}})
	streamed := make(chan string, 1)
	go func() {
		resp, err := http.Post(url+"/v1/chat/completions", "application/json", strings.NewReader(`{"stream":true,"messages":[{"role":"user","content":"hi"}]}`))
		if err != nil {
			streamed <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		streamed <- string(b)
	}()
	time.Sleep(200 * time.Millisecond)

	// A valid change: the default privacy becomes public.
	os.WriteFile(cfgPath, with("public"), 0o600)
	sock.expect(t, "RELOADING=1")
	sock.expect(t, "READY=1")
	if ex := explainVia(t, url, hello, nil); ex.Privacy != "public" {
		t.Errorf("after the reload: privacy %q", ex.Privacy)
	}

	// An invalid change is refused; the previous configuration serves.
	time.Sleep(10 * time.Millisecond)
	os.WriteFile(cfgPath, with("sometimes"), 0o600)
	sock.expect(t, "RELOADING=1")
	sock.expect(t, "READY=1")
	if rz := getBody(t, url+"/readyz"); !strings.Contains(rz, "reload_error") || !strings.Contains(rz, "policy.default_privacy") {
		t.Errorf("readyz after a bad reload: %s", rz)
	}
	if ex := explainVia(t, url, hello, nil); ex.Privacy != "public" {
		t.Errorf("the previous configuration stopped serving: privacy %q", ex.Privacy)
	}

	cancel()
	sock.expect(t, "STOPPING=1")
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
	if s := <-streamed; !strings.Contains(s, "still here") && !strings.Contains(s, `"still "`) || !strings.Contains(s, "[DONE]") {
		t.Errorf("the in-flight stream was not drained:\n%s", s)
	}
}

func TestSetMaxProcs(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	none := func(string) string { return "" }
	setMaxProcs(1, none)
	if got := runtime.GOMAXPROCS(0); got != 1 {
		t.Errorf("max_procs 1: GOMAXPROCS %d", got)
	}
	setMaxProcs(0, none)
	runtime.SetDefaultGOMAXPROCS()
	def := runtime.GOMAXPROCS(0)
	setMaxProcs(1, none)
	setMaxProcs(0, none)
	if got := runtime.GOMAXPROCS(0); got != def {
		t.Errorf("max_procs 0: GOMAXPROCS %d, the default is %d", got, def)
	}
	setMaxProcs(1, func(k string) string {
		if k == "GOMAXPROCS" {
			return "3"
		}
		return ""
	})
	if got := runtime.GOMAXPROCS(0); got != def {
		t.Errorf("GOMAXPROCS set in the environment was overridden: %d", got)
	}
}

func TestIdleTrackerSeesTheEndOfABurst(t *testing.T) {
	var s swappable
	var tr idleTracker
	if tr.look(&s) {
		t.Error("a daemon that served nothing has no burst to end")
	}
	s.served.Add(3)
	s.active.Add(1)
	if tr.look(&s) {
		t.Error("requests began since the last look: not idle")
	}
	if tr.look(&s) {
		t.Error("a request is still in progress: not idle")
	}
	s.active.Add(-1)
	if !tr.look(&s) {
		t.Error("the burst ended unnoticed")
	}
	if tr.look(&s) {
		t.Error("one burst ended twice")
	}
}

package systemd

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fakeSystemd is a NOTIFY_SOCKET: a unix datagram socket that collects
// what the service says.
func fakeSystemd(t *testing.T) (string, func(int) []string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify.sock")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return path, func(n int) []string {
		var got []string
		buf := make([]byte, 4096)
		for len(got) < n {
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			k, err := c.Read(buf)
			if err != nil {
				t.Fatalf("after %v: %v", got, err)
			}
			got = append(got, string(buf[:k]))
		}
		return got
	}
}

func TestNotifyInOrder(t *testing.T) {
	path, read := fakeSystemd(t)
	n := NewNotifier(func(k string) string {
		if k == "NOTIFY_SOCKET" {
			return path
		}
		return ""
	})
	n.Ready()
	n.Reloading()
	n.Ready()
	n.Stopping()
	got := read(4)
	if got[0] != "READY=1" || !strings.HasPrefix(got[1], "RELOADING=1\nMONOTONIC_USEC=") || got[2] != "READY=1" || got[3] != "STOPPING=1" {
		t.Errorf("%q", got)
	}
}

func TestNothingWithoutSocket(t *testing.T) {
	n := NewNotifier(func(string) string { return "" })
	if n.Enabled() || n.Ready() != nil || n.Stopping() != nil {
		t.Error("a notifier without NOTIFY_SOCKET did something")
	}
	n.Watchdog(context.Background(), time.Millisecond, nil) // returns at once
}

func TestWatchdog(t *testing.T) {
	env := map[string]string{"WATCHDOG_USEC": "30000000"}
	get := func(k string) string { return env[k] }
	if d := WatchdogInterval(get, 42); d != 15*time.Second {
		t.Errorf("interval %v", d)
	}
	env["WATCHDOG_PID"] = "7"
	if d := WatchdogInterval(get, 42); d != 0 {
		t.Errorf("another process's watchdog: %v", d)
	}
	path, read := fakeSystemd(t)
	n := NewNotifier(func(k string) string { return map[string]string{"NOTIFY_SOCKET": path}[k] })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { n.Watchdog(ctx, 10*time.Millisecond, func() bool { return true }); close(done) }()
	got := read(2)
	cancel()
	<-done
	if got[0] != "WATCHDOG=1" || got[1] != "WATCHDOG=1" {
		t.Errorf("%q", got)
	}
}

func TestCredential(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "MISTRAL_API_KEY"), []byte("k-123\n"), 0o600)
	get := func(k string) string { return map[string]string{"CREDENTIALS_DIRECTORY": dir}[k] }
	if v, ok := Credential(get, "MISTRAL_API_KEY"); !ok || v != "k-123" {
		t.Errorf("%q %v", v, ok)
	}
	if _, ok := Credential(get, "GEMINI_API_KEY"); ok {
		t.Error("missing credential found")
	}
	if _, ok := Credential(get, "../etc/passwd"); ok {
		t.Error("path escaped the credentials directory")
	}
}

func TestListenerNotActivated(t *testing.T) {
	ln, err := Listener(func(k string) string {
		return map[string]string{"LISTEN_PID": strconv.Itoa(os.Getpid() + 1), "LISTEN_FDS": "1"}[k]
	}, os.Getpid())
	if ln != nil || err != nil {
		t.Errorf("%v %v", ln, err)
	}
}

// Package systemd speaks the little of systemd's protocols switchyard needs:
// sd_notify readiness, reload and watchdog messages, socket activation, and
// credentials passed with LoadCredential=. Outside systemd every call does
// nothing. The unit files live beside this file.
package systemd

import (
	"context"
	"net"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Notifier sends sd_notify messages to $NOTIFY_SOCKET. The zero value, and
// a Notifier built without NOTIFY_SOCKET, do nothing.
type Notifier struct {
	addr *net.UnixAddr
}

// NewNotifier reads NOTIFY_SOCKET through getenv (os.Getenv in production).
func NewNotifier(getenv func(string) string) *Notifier {
	path := getenv("NOTIFY_SOCKET")
	if path == "" {
		return &Notifier{}
	}
	if strings.HasPrefix(path, "@") {
		path = "\x00" + path[1:] // abstract socket
	}
	return &Notifier{addr: &net.UnixAddr{Name: path, Net: "unixgram"}}
}

// Enabled reports whether there is a socket to notify.
func (n *Notifier) Enabled() bool { return n != nil && n.addr != nil }

// Notify sends one message, e.g. "READY=1". Without a socket it returns nil.
func (n *Notifier) Notify(state string) error {
	if !n.Enabled() {
		return nil
	}
	c, err := net.DialUnix("unixgram", nil, n.addr)
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Write([]byte(state))
	return err
}

// Ready says the service is up: it listens.
func (n *Notifier) Ready() error { return n.Notify("READY=1") }

// Stopping says shutdown began.
func (n *Notifier) Stopping() error { return n.Notify("STOPPING=1") }

// Reloading says a reload began; call Ready when it ends. MONOTONIC_USEC is
// required by Type=notify-reload and harmless with Type=notify.
func (n *Notifier) Reloading() error {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return n.Notify("RELOADING=1\nMONOTONIC_USEC=" + strconv.FormatInt(ts.Nano()/1000, 10))
}

// Status sets the free-form status line systemctl shows.
func (n *Notifier) Status(s string) error { return n.Notify("STATUS=" + s) }

// WatchdogInterval is half of WatchdogSec when systemd asked this process
// for keep-alives (WATCHDOG_USEC set, WATCHDOG_PID unset or ours), else 0.
func WatchdogInterval(getenv func(string) string, pid int) time.Duration {
	usec, err := strconv.ParseInt(getenv("WATCHDOG_USEC"), 10, 64)
	if err != nil || usec <= 0 {
		return 0
	}
	if p := getenv("WATCHDOG_PID"); p != "" && p != strconv.Itoa(pid) {
		return 0
	}
	return time.Duration(usec) * time.Microsecond / 2
}

// Watchdog sends WATCHDOG=1 every interval until ctx ends; alive is asked
// first, so a process that can no longer serve stops petting the dog.
func (n *Notifier) Watchdog(ctx context.Context, interval time.Duration, alive func() bool) {
	if !n.Enabled() || interval <= 0 {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if alive == nil || alive() {
				n.Notify("WATCHDOG=1")
			}
		}
	}
}

package systemd

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// listenFDsStart is the first file descriptor systemd passes (SD_LISTEN_FDS_START).
const listenFDsStart = 3

// Listener returns the socket systemd passed by socket activation
// (LISTEN_FDS=1 and LISTEN_PID naming this process), or nil when the
// process was not socket-activated. The variables are unset afterwards so
// children do not inherit them.
func Listener(getenv func(string) string, pid int) (net.Listener, error) {
	if getenv("LISTEN_PID") != strconv.Itoa(pid) {
		return nil, nil
	}
	n, err := strconv.Atoi(getenv("LISTEN_FDS"))
	if err != nil || n < 1 {
		return nil, nil
	}
	defer os.Unsetenv("LISTEN_PID")
	defer os.Unsetenv("LISTEN_FDS")
	defer os.Unsetenv("LISTEN_FDNAMES")
	if n > 1 {
		return nil, fmt.Errorf("systemd passed %d sockets; switchyard.socket must have exactly one Listen line", n)
	}
	f := os.NewFile(uintptr(listenFDsStart), "switchyard.socket")
	ln, err := net.FileListener(f)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("socket activation: %w", err)
	}
	return ln, nil
}

// Credential reads a credential passed with LoadCredential=NAME:FILE (or
// SetCredential=), from $CREDENTIALS_DIRECTORY. ok is false when there is
// none.
func Credential(getenv func(string) string, name string) (string, bool) {
	dir := getenv("CREDENTIALS_DIRECTORY")
	if dir == "" || name == "" || strings.ContainsAny(name, "/\x00") {
		return "", false
	}
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return "", false
	}
	return strings.TrimSpace(string(b)), true
}

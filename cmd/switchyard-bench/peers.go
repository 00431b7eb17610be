package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Peers: other gateways measured beside the bare hop on the
// OpenAI-compatible engine's path, in the same run, when installed. Each
// is pinned; `switchyard-bench -install-peers` installs them under
// peersDir with npm.
var peers = []peer{{
	name: "portkey", pkg: "@portkey-ai/gateway", version: "1.15.2",
	// Portkey's node server: --port and --headless (no console UI) are
	// its only flags (build/start-server.js).
	script: "node_modules/@portkey-ai/gateway/build/start-server.js",
}}

type peer struct {
	name, pkg, version, script string
}

// peersDir is where -install-peers puts them: $SWITCHYARD_PEERS_DIR, or
// the user's cache.
func peersDir() string {
	if d := os.Getenv("SWITCHYARD_PEERS_DIR"); d != "" {
		return d
	}
	d, err := os.UserCacheDir()
	if err != nil {
		d = os.TempDir()
	}
	return filepath.Join(d, "switchyard-peers")
}

// installPeers installs every peer at its pinned version.
func installPeers() error {
	dir := peersDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, "package.json")); err != nil {
		if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte("{\"private\":true}\n"), 0o644); err != nil {
			return err
		}
	}
	args := []string{"install", "--no-audit", "--no-fund", "--prefix", dir}
	for _, p := range peers {
		args = append(args, p.pkg+"@"+p.version)
	}
	cmd := exec.Command("npm", args...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return cmd.Run()
}

// peerProcess is a running peer.
type peerProcess struct {
	peer
	URL string
	cmd *exec.Cmd
}

// startPeers starts the installed peers; a peer that is not installed,
// or that node cannot run, is reported and left out.
func startPeers() []*peerProcess {
	var out []*peerProcess
	node, err := exec.LookPath("node")
	if err != nil {
		progress("peers: no node on PATH; measuring without them")
		return nil
	}
	for _, p := range peers {
		script := filepath.Join(peersDir(), p.script)
		if _, err := os.Stat(script); err != nil {
			progress(fmt.Sprintf("peers: %s %s is not installed (switchyard-bench -install-peers); measuring without it", p.pkg, p.version))
			continue
		}
		pp, err := startPeer(node, script, p)
		if err != nil {
			progress(fmt.Sprintf("peers: %s did not start: %v", p.name, err))
			continue
		}
		out = append(out, pp)
	}
	return out
}

func startPeer(node, script string, p peer) (*peerProcess, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	port := addr[strings.LastIndexByte(addr, ':')+1:]
	cmd := exec.Command(node, script, "--port="+port, "--headless")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir(), "NODE_ENV=production"}
	// Its stdout is a start-up banner; its errors go where ours do.
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	pp := &peerProcess{peer: p, URL: "http://127.0.0.1:" + port, cmd: cmd}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		resp, err := http.Get(pp.URL + "/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return pp, nil
			}
		}
	}
	pp.stop()
	return nil, fmt.Errorf("no answer on %s within 30 s", pp.URL)
}

// path is the peer in front of the engine at upstream (an OpenAI API root
// ending in /v1), sent the body the bare hop gets.
func (pp *peerProcess) path(upstream string, body, done []byte) path {
	h := http.Header{}
	h.Set("x-portkey-provider", "openai")
	h.Set("x-portkey-custom-host", upstream)
	h.Set("Authorization", "Bearer unused")
	return path{name: pp.name + " " + pp.version, url: pp.URL + "/v1/chat/completions", body: body, done: done, header: h, pid: pp.cmd.Process.Pid}
}

func (pp *peerProcess) stop() {
	pp.cmd.Process.Kill()
	pp.cmd.Wait()
}

package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/switchyard/switchyard/providers/openaicompat/openaifake"
)

// engineConfig is switchyard's configuration for the OpenAI-compatible
// engine's path: one local server (llama.cpp's shape), as a user adds a
// llama.cpp or vLLM beside Ollama, with the window it would declare.
const engineConfig = `listen: {{LISTEN}}
log:
  level: info
providers:
  - name: engine
    kind: openai
    local: true
    base_url: {{ENGINE}}/v1
    model: qwen3-coder
    context_window: 262144
policy:
  default_privacy: private
audit:
  path: {{DIR}}/egress.jsonl
`

// engineRig is the fake OpenAI-compatible engine, its bare hop and its
// daemon.
type engineRig struct {
	fake *openaifake.Server
	srv  *http.Server
	url  string
	hop  *hopProcess
	sy   *daemon
}

func startEngine(e *env) (*engineRig, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	g := &engineRig{fake: openaifake.New("qwen3-coder"), url: "http://" + ln.Addr().String()}
	g.srv = &http.Server{Handler: g.fake, ReadHeaderTimeout: 10 * time.Second}
	go g.srv.Serve(ln)
	dir := filepath.Join(e.dir, "engine")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		g.close()
		return nil, err
	}
	cfg := strings.NewReplacer("{{ENGINE}}", g.url, "{{DIR}}", dir).Replace(engineConfig)
	if g.sy, err = startDaemon(e.bin, dir, cfg, nil); err != nil {
		g.close()
		return nil, err
	}
	if g.hop, err = startBareHop(g.url); err != nil {
		g.close()
		return nil, err
	}
	return g, nil
}

func (g *engineRig) engine() engine {
	return engine{name: "openai-compatible", chat: g.url + "/v1/chat/completions", hop: g.hop.URL + "/v1/chat/completions", hopPID: g.hop.cmd.Process.Pid,
		last: func() ([]byte, bool) { b := g.fake.LastBody(); return b, b != nil },
		done: []byte(`"finish_reason":"stop"`), streamDone: []byte("data: [DONE]\n\n"), sy: g.sy, api: g.url + "/v1"}
}

// close stops all three; a second call does nothing.
func (g *engineRig) close() error {
	var err error
	if g.sy != nil {
		if e := g.sy.stop(); e != nil {
			err = fmt.Errorf("the engine's switchyard did not stop cleanly: %w", e)
		}
		g.sy = nil
	}
	if g.hop != nil {
		g.hop.stop()
		g.hop = nil
	}
	g.srv.Close()
	return err
}

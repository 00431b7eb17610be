//go:build e2e

package main

// switchyard in-process between the fakes, with a scripting front on each
// fake that picks the answer from what arrived.

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard/configs"
	"github.com/switchyard/switchyard/providers/mistral/mistralfake"
	"github.com/switchyard/switchyard/providers/ollama/ollamafake"
)

// turn is the part of an upstream request a script decides on, the same for
// the Ollama and the Mistral wire.
type turn struct {
	tools    []string
	lastRole string
	lastText string
	allText  string
}

// script answers a turn: ok is false to let the fake answer by default.
type script[R any] func(turn) (reply R, label string, ok bool)

// scripted is what a front saw: the label the script gave the turn ("" for
// a turn the fake answered by default).
type scripted struct {
	label string
	turn  turn
}

// front serializes chat requests to a fake so that enqueuing an answer and
// the request that takes it are one step, and records what it decided.
type front[R any] struct {
	mu      sync.Mutex
	script  script[R]
	enqueue func(R)
	decode  func([]byte) (turn, error)
	next    http.Handler
	chat    string // the path of chat requests
	seen    []scripted
}

func (f *front[R]) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != f.chat {
		f.next.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	f.mu.Lock()
	defer f.mu.Unlock()
	tn, err := f.decode(body)
	s := scripted{turn: tn}
	if err == nil && f.script != nil {
		if reply, label, ok := f.script(tn); ok {
			f.enqueue(reply)
			s.label = label
		}
	}
	f.seen = append(f.seen, s)
	f.next.ServeHTTP(w, r)
}

func (f *front[R]) setScript(s script[R]) {
	f.mu.Lock()
	f.script = s
	f.seen = nil
	f.mu.Unlock()
}

func (f *front[R]) turns() []scripted {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.seen)
}

// ollamaTurn reads an /api/chat body (ollamafake's own decoder, so its
// rules hold here too).
func ollamaTurn(body []byte) (turn, error) {
	var req ollamafake.ChatRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return turn{}, err
	}
	var t turn
	for _, tl := range req.Tools {
		t.tools = append(t.tools, tl.Function.Name)
	}
	var all strings.Builder
	for _, m := range req.Messages {
		all.WriteString(m.Content + "\n")
	}
	roles, texts := make([]string, len(req.Messages)), make([]string, len(req.Messages))
	for i, m := range req.Messages {
		roles[i], texts[i] = m.Role, m.Content
	}
	t.lastRole, t.lastText = lastTurn(roles, texts)
	t.allText = all.String()
	return t, nil
}

// lastTurn is who spoke last and what they said since the model last
// spoke: the user's messages after the last assistant or tool message
// (with any system notes among them, as Claude Code puts its environment
// block after the prompt, and a provider may pass that on as a user
// message), or the last message itself.
func lastTurn(roles, texts []string) (role, text string) {
	n := len(roles)
	if n == 0 {
		return "", ""
	}
	i := n
	for i > 0 && (roles[i-1] == "user" || roles[i-1] == "system") {
		i--
	}
	if i == n {
		return roles[n-1], texts[n-1]
	}
	role = "system"
	for j := i; j < n; j++ {
		if roles[j] == "user" {
			role = "user"
		}
	}
	return role, strings.Join(texts[i:], "\n")
}

// mistralTurn reads a Mistral chat completions body.
func mistralTurn(body []byte) (turn, error) {
	var req struct {
		Messages []mistralfake.Message `json:"messages"`
		Tools    []struct {
			Function struct {
				Name string `json:"name"`
			} `json:"function"`
		} `json:"tools"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return turn{}, err
	}
	var t turn
	for _, tl := range req.Tools {
		t.tools = append(t.tools, tl.Function.Name)
	}
	var all strings.Builder
	for _, m := range req.Messages {
		all.WriteString(m.Text() + "\n")
	}
	roles, texts := make([]string, len(req.Messages)), make([]string, len(req.Messages))
	for i, m := range req.Messages {
		roles[i], texts[i] = m.Role, m.Text()
	}
	t.lastRole, t.lastText = lastTurn(roles, texts)
	t.allText = all.String()
	return t, nil
}

// clientRig is switchyard serving in-process with a local fake Ollama and a
// cloud fake Mistral, both behind scripting fronts, and a tap in front.
type clientRig struct {
	seed   *seedRig
	local  *front[ollamafake.Reply]
	ollama *ollamafake.Server
	cloud  *front[mistralfake.Reply]
	devs   *mistralfake.Server
	tap    *tap
	base   string // what clients are configured with, without /v1
	direct string // switchyard itself, for explain
}

// rigPolicy is the policy part of switchyard's config for a rig.
type rigPolicy struct {
	defaultPrivacy            string
	heavyMinFiles, heavyMinTk int
	keepAlive                 time.Duration
}

// startClientRig serves switchyard with two providers — local (the fake
// Ollama) and devstral (the fake Mistral, its key set) — under policy p,
// until the test ends.
func startClientRig(t *testing.T, p rigPolicy) *clientRig {
	t.Helper()
	return startClientRigWith(t, p, nil)
}

// startClientRigWith is startClientRig with tune, when not nil, changing
// the configuration before switchyard starts.
func startClientRigWith(t *testing.T, p rigPolicy, tune func(*configs.Config)) *clientRig {
	t.Helper()
	g := &clientRig{}
	g.ollama = ollamafake.New(ollamafake.Options{Models: []ollamafake.Model{ollamafake.Qwen3Coder30B()}})
	g.local = &front[ollamafake.Reply]{next: g.ollama, chat: "/api/chat", decode: ollamaTurn,
		enqueue: func(r ollamafake.Reply) { g.ollama.Enqueue(r) }}
	lsrv := httptest.NewServer(g.local)
	t.Cleanup(lsrv.Close)

	g.devs = mistralfake.Start(mistralfake.Options{})
	t.Cleanup(g.devs.Close)
	// mistralfake runs its own server, so its front reaches it by proxy.
	mu, _ := url.Parse(g.devs.URL)
	g.cloud = &front[mistralfake.Reply]{chat: "/v1/chat/completions", decode: mistralTurn,
		enqueue: func(r mistralfake.Reply) { g.devs.Enqueue(r) },
		next:    &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(&url.URL{Scheme: mu.Scheme, Host: mu.Host}) }, FlushInterval: -1}}
	csrv := httptest.NewServer(g.cloud)
	t.Cleanup(csrv.Close)

	dir := t.TempDir()
	cfg := testConfig(t, dir, lsrv.URL)
	cfg.Server.MaxBodyBytes = 32 << 20
	cfg.Server.KeepAliveInterval = p.keepAlive
	cfg.Providers = append(cfg.Providers, cloudProvider("devstral", configs.KindMistral, csrv.URL+"/v1", "devstral-latest", "SWITCHYARD_E2E_MISTRAL_KEY", 262144))
	cfg.Policy.DefaultPrivacy = p.defaultPrivacy
	cfg.Policy.Heavy.MinFiles, cfg.Policy.Heavy.MinTokens = p.heavyMinFiles, p.heavyMinTk
	if tune != nil {
		tune(&cfg)
	}
	env := map[string]string{"SWITCHYARD_E2E_MISTRAL_KEY": mistralfake.DefaultAPIKey}
	g.seed = startDaemon(t, dir, cfg, g.ollama, env)
	g.direct = g.seed.url
	g.tap = newTap(t, g.seed.url)
	g.base = g.tap.srv.URL
	return g
}

// explain asks switchyard how it routes a request a client sent, in the
// dialect of the endpoint it went to.
func (g *clientRig) explain(t *testing.T, ex exchange) map[string]any {
	t.Helper()
	url := g.direct + "/v1/switchyard/explain"
	switch {
	case ex.path == "/v1/messages":
		url += "?dialect=anthropic"
	case ex.path == "/v1/responses":
		url += "?dialect=openai-responses"
	case strings.HasPrefix(ex.path, "/v1beta/"):
		url += "?dialect=gemini"
	}
	resp, err := http.Post(url, "application/json", bytes.NewReader(ex.body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("explain: %d %v", resp.StatusCode, err)
	}
	return out
}

// cloudChats are the cloud fake's chat requests (its model list aside).
func (g *clientRig) cloudChats() []mistralfake.Request {
	var out []mistralfake.Request
	for _, r := range g.devs.Requests() {
		if r.Path == "/v1/chat/completions" {
			out = append(out, r)
		}
	}
	return out
}

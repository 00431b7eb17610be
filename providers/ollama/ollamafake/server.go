package ollamafake

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Options configure a fake Server. The zero value serves Qwen3Coder30B.
type Options struct {
	// Models are the models the fake has (default: Qwen3Coder30B()).
	Models []Model
	// Version is what /api/version reports (default "0.33.0").
	Version string
	// DefaultContext is the window when neither the request nor the
	// definition sets num_ctx (default 4096, Ollama's default from v0.6.7
	// until the VRAM tiers of v0.15.5; PROVIDERS.md §2).
	DefaultContext int
	// CountTokens counts the tokens of a rendered prompt or of generated
	// text (default EstimateTokens).
	CountTokens func(string) int
	// PrefillTokensPerSecond and EvalTokensPerSecond are the speeds the fake
	// reports in prompt_eval_duration and eval_duration (defaults 1000 and
	// 60). They are only reported; see Reply to really take time.
	PrefillTokensPerSecond, EvalTokensPerSecond float64
	// LoadDuration is the load_duration reported when a request loads or
	// reloads the model (default 2s; reported only).
	LoadDuration time.Duration
}

// Server is a fake Ollama. Use it as an http.Handler; it is safe for
// concurrent use.
type Server struct {
	opts Options

	mu       sync.Mutex
	models   []Model
	replies  []Reply
	requests []Request
	loaded   map[string]*loadState
	loads    map[string]int
}

// loadState is a model in memory (/api/ps).
type loadState struct {
	numCtx    int
	expiresAt time.Time
}

// Request is one request the fake received.
type Request struct {
	Method string
	Path   string
	Header http.Header
	// Raw is the body exactly as received.
	Raw []byte
	// Chat is the decoded body of a valid /api/chat request.
	Chat *ChatRequest
}

// New returns a fake Ollama.
func New(o Options) *Server {
	if len(o.Models) == 0 {
		o.Models = []Model{Qwen3Coder30B()}
	}
	if o.Version == "" {
		o.Version = "0.33.0"
	}
	if o.DefaultContext <= 0 {
		o.DefaultContext = 4096
	}
	if o.CountTokens == nil {
		o.CountTokens = EstimateTokens
	}
	if o.PrefillTokensPerSecond <= 0 {
		o.PrefillTokensPerSecond = 1000
	}
	if o.EvalTokensPerSecond <= 0 {
		o.EvalTokensPerSecond = 60
	}
	if o.LoadDuration <= 0 {
		o.LoadDuration = 2 * time.Second
	}
	return &Server{
		opts:   o,
		models: slices.Clone(o.Models),
		loaded: make(map[string]*loadState),
		loads:  make(map[string]int),
	}
}

// Enqueue scripts the next answers of /api/chat, in order. When none is
// queued the fake echoes the last message.
func (s *Server) Enqueue(r ...Reply) {
	s.mu.Lock()
	s.replies = append(s.replies, r...)
	s.mu.Unlock()
}

// SetModel adds m, or replaces the model of the same name (a pull or
// create: give it a new Digest and ModifiedAt). A replaced model is
// unloaded.
func (s *Server) SetModel(m Model) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.models {
		if canonical(s.models[i].Name) == canonical(m.Name) {
			s.models[i] = m
			delete(s.loaded, canonical(m.Name))
			return
		}
	}
	s.models = append(s.models, m)
}

// RemoveModel deletes a model (ollama rm).
func (s *Server) RemoveModel(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.models = slices.DeleteFunc(s.models, func(m Model) bool { return canonical(m.Name) == canonical(name) })
	delete(s.loaded, canonical(name))
}

// Requests returns every request received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// ChatRequests returns the decoded bodies of the valid /api/chat requests.
func (s *Server) ChatRequests() []ChatRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []ChatRequest
	for _, r := range s.requests {
		if r.Chat != nil {
			out = append(out, *r.Chat)
		}
	}
	return out
}

// Loads is how many times a chat request loaded or reloaded the model: a
// changed num_ctx forces a reload (server/sched.go needsReload).
func (s *Server) Loads(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.loads[canonical(name)]
}

// ServeHTTP routes as Ollama's server/routes.go does; gin answers 404
// "404 page not found" for an unknown path or method.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	idx := s.record(Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Raw: raw})
	switch {
	case r.URL.Path == "/" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		io.WriteString(w, "Ollama is running")
	case r.URL.Path == "/api/chat" && r.Method == http.MethodPost:
		s.chat(w, r, raw, idx)
	case r.URL.Path == "/api/show" && r.Method == http.MethodPost:
		s.show(w, raw)
	case r.URL.Path == "/api/tags" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		s.tags(w)
	case r.URL.Path == "/api/ps" && r.Method == http.MethodGet:
		s.ps(w)
	case r.URL.Path == "/api/version" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		writeJSON(w, http.StatusOK, map[string]string{"version": s.opts.Version})
	default:
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, "404 page not found")
	}
}

func (s *Server) record(r Request) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r)
	return len(s.requests) - 1
}

func (s *Server) setChat(idx int, c *ChatRequest) {
	s.mu.Lock()
	s.requests[idx].Chat = c
	s.mu.Unlock()
}

// model returns the named model.
func (s *Server) model(name string) (Model, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.models {
		if canonical(m.Name) == canonical(name) {
			return m, true
		}
	}
	return Model{}, false
}

// nextReply takes the next scripted reply, or the default.
func (s *Server) nextReply(req *ChatRequest) Reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.replies) == 0 {
		return echo(req)
	}
	r := s.replies[0]
	s.replies = s.replies[1:]
	return r
}

// canonical fills in the ":latest" tag, as model.ParseName does.
func canonical(name string) string {
	name = strings.ToLower(strings.TrimSpace(name))
	if !strings.Contains(name[strings.LastIndex(name, "/")+1:], ":") {
		name += ":latest"
	}
	return name
}

// writeJSON writes one JSON object, as gin's c.JSON does (no trailing
// newline).
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}

// writeError writes Ollama's error body {"error": msg}.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

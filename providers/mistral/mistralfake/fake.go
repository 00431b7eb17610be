// Package mistralfake is an httptest fake of Mistral's API
// (POST /v1/chat/completions and GET /v1/models) that enforces the rules the
// real API enforces, each citing its source, and answers in Mistral's wire
// format: bearer authentication, the schema's additionalProperties: false
// (422 extra_forbidden), the request validator's tool-call-id, role-order,
// last-message and tool-pairing rules (400), unknown models (400 code 1500),
// the context window (400 code 3051), and SSE streams ending in
// data: [DONE] with usage on the final chunk.
//
// Answers are scripted with Enqueue; every request is recorded, raw and
// decoded, for tests to assert on what left switchyard.
package mistralfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"time"
)

// DefaultAPIKey is the key the fake accepts when Options.APIKey is empty.
const DefaultAPIKey = "mistralfake-test-key"

// Options configures a Server. The zero value is usable.
type Options struct {
	// APIKey is the only bearer token accepted; empty means DefaultAPIKey.
	APIKey string
	// Models are what GET /v1/models lists and what chat accepts as model;
	// nil means DefaultModels().
	Models []Model
	// ContextWindow is the prompt size, in estimated tokens (about four
	// bytes each), beyond which chat answers 400 code 3051; 0 means 262144,
	// Devstral 2's window.
	ContextWindow int
}

// Model is one entry of the model list (BaseModelCard in openapi.yaml).
type Model struct {
	ID      string
	Aliases []string
	// MaxContextLength is reported as max_context_length; 0 means 262144.
	MaxContextLength int
	// Deprecation, when set, is the model's deprecation date.
	Deprecation *time.Time
	// Replacement is deprecation_replacement_model.
	Replacement string
}

// DefaultModels is a model list with Devstral 2 and the Mistral models
// switchyard knows, as Mistral's docs list them (src/schema/models in
// mistralai/platform-docs-public).
func DefaultModels() []Model {
	return []Model{
		{ID: "devstral-2512", Aliases: []string{"devstral-latest", "devstral-medium-latest"}},
		{ID: "mistral-medium-3-5", Aliases: []string{"mistral-medium-3", "mistral-medium-latest"}},
		{ID: "mistral-small-2603", Aliases: []string{"mistral-small-latest"}},
	}
}

// Request is one request the fake received.
type Request struct {
	Method string
	Path   string
	Header http.Header
	// Body is the body exactly as received.
	Body []byte
	// Fields is the body's top-level object, when it is one.
	Fields map[string]json.RawMessage
	// Messages are the chat messages, when the body has them.
	Messages []Message
	// Status is what the fake answered.
	Status int
}

// Message is a recorded chat message.
type Message struct {
	Role string `json:"role"`
	// Content is the raw content: a JSON string, a list of chunks, or null.
	Content    json.RawMessage `json:"content"`
	ToolCalls  []RecordedCall  `json:"tool_calls"`
	ToolCallID string          `json:"tool_call_id"`
	Name       string          `json:"name"`
	Prefix     bool            `json:"prefix"`
}

// Text returns the message's text: the string content, or its text chunks
// joined.
func (m Message) Text() string {
	var s string
	if json.Unmarshal(m.Content, &s) == nil {
		return s
	}
	var chunks []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	_ = json.Unmarshal(m.Content, &chunks)
	var b strings.Builder
	for _, c := range chunks {
		if c.Type == "text" {
			b.WriteString(c.Text)
		}
	}
	return b.String()
}

// RecordedCall is a tool call in a recorded assistant message.
type RecordedCall struct {
	ID       string `json:"id"`
	Function struct {
		Name      string          `json:"name"`
		Arguments json.RawMessage `json:"arguments"`
	} `json:"function"`
}

// Server is a running fake. Its methods are safe for concurrent use.
type Server struct {
	// URL is the base URL to configure, ending in /v1.
	URL string

	srv    *httptest.Server
	key    string
	models []Model
	window int

	mu       sync.Mutex
	queue    []Reply
	requests []Request
	seq      int
}

// Start runs a fake until Close.
func Start(o Options) *Server {
	s := &Server{key: o.APIKey, models: o.Models, window: o.ContextWindow}
	if s.key == "" {
		s.key = DefaultAPIKey
	}
	if s.models == nil {
		s.models = DefaultModels()
	}
	if s.window == 0 {
		s.window = 262144
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/chat/completions", s.chat)
	mux.HandleFunc("/v1/models", s.listModels)
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL + "/v1"
	return s
}

// Close shuts the fake down, ending any answer in flight.
func (s *Server) Close() {
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// Enqueue scripts the next answers, in order. When the script runs out the
// fake answers "ok".
func (s *Server) Enqueue(replies ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queue = append(s.queue, replies...)
}

// Requests returns a copy of every request received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// LastRequest returns the most recent request; ok is false if none came.
func (s *Server) LastRequest() (r Request, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.requests) == 0 {
		return Request{}, false
	}
	return s.requests[len(s.requests)-1], true
}

func (s *Server) next() (Reply, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	if len(s.queue) == 0 {
		return Reply{Text: "ok"}, s.seq
	}
	r := s.queue[0]
	if r.Times > 1 {
		s.queue[0].Times--
	} else {
		s.queue = s.queue[1:]
	}
	return r, s.seq
}

// record keeps r and returns its index for the status to be set later.
func (s *Server) record(r Request) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r)
	return len(s.requests) - 1
}

// responder returns a function that records the status of request i and
// then writes the answer, so a client that has read the answer always finds
// the status recorded.
func (s *Server) responder(w http.ResponseWriter, i int) func(status int, body []byte) {
	return func(status int, body []byte) {
		s.setStatus(i, status)
		writeJSON(w, status, body)
	}
}

func (s *Server) setStatus(i, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests[i].Status = status
}

func (s *Server) receive(r *http.Request) (int, []byte) {
	body, _ := io.ReadAll(r.Body)
	rec := Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body}
	if json.Unmarshal(body, &rec.Fields) == nil {
		_ = json.Unmarshal(rec.Fields["messages"], &rec.Messages)
	}
	return s.record(rec), body
}

// authorized checks "Authorization: Bearer <key>" (error-glossary.md § 401).
func (s *Server) authorized(r *http.Request) bool {
	return r.Header.Get("Authorization") == "Bearer "+s.key
}

func (s *Server) knows(model string) (Model, bool) {
	for _, m := range s.models {
		if m.ID == model || slices.Contains(m.Aliases, model) {
			return m, true
		}
	}
	return Model{}, false
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func marshal(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func (s *Server) listModels(w http.ResponseWriter, r *http.Request) {
	i, _ := s.receive(r)
	respond := s.responder(w, i)
	if r.Method != http.MethodGet {
		respond(http.StatusMethodNotAllowed, []byte(`{"detail":"Method Not Allowed"}`))
		return
	}
	if !s.authorized(r) {
		respond(http.StatusUnauthorized, []byte(errorBody(http.StatusUnauthorized)))
		return
	}
	cards := make([]map[string]any, 0, len(s.models))
	for _, m := range s.models {
		ctx := m.MaxContextLength
		if ctx == 0 {
			ctx = 262144
		}
		aliases := m.Aliases
		if aliases == nil {
			aliases = []string{}
		}
		cards = append(cards, map[string]any{
			"id": m.ID, "object": "model", "created": 1765324800, "owned_by": "mistralai",
			"capabilities": map[string]bool{
				"completion_chat": true, "function_calling": true, "completion_fim": false,
				"fine_tuning": false, "vision": false, "classification": false,
			},
			"name": m.ID, "description": nil, "max_context_length": ctx, "aliases": aliases,
			"deprecation": m.Deprecation, "deprecation_replacement_model": nilIfEmpty(m.Replacement),
			"default_model_temperature": 0.2, "type": "base",
		})
	}
	respond(http.StatusOK, marshal(map[string]any{"object": "list", "data": cards}))
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Rejection is a request the fake refused: the status and body Mistral
// would answer with.
type Rejection struct {
	Status int
	Body   []byte
}

func (r *Rejection) Error() string {
	return fmt.Sprintf("mistralfake: HTTP %d: %s", r.Status, r.Body)
}

// CheckChatRequest applies the schema and the validator's rules to a chat
// request body, as the fake does before answering; nil means Mistral would
// take it. Model availability and the context window are not checked.
func CheckChatRequest(body []byte) *Rejection {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil || fields == nil {
		return &Rejection{Status: http.StatusUnprocessableEntity, Body: marshal(map[string]any{"detail": []fieldError{{
			Type: "json_invalid", Loc: []any{"body", 0}, Msg: "JSON decode error", Input: json.RawMessage(`{}`),
		}}})}
	}
	if errs := checkSchema(fields, body); len(errs) > 0 {
		// The 2026 shape: FastAPI's bare {"detail":[…]}.
		return &Rejection{Status: http.StatusUnprocessableEntity, Body: marshal(map[string]any{"detail": errs})}
	}
	var req struct {
		Messages []wireMessage `json:"messages"`
		Tools    []wireTool    `json:"tools"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return &Rejection{Status: http.StatusBadRequest, Body: marshal(newAPIError("Invalid request body", "invalid_request_error", "", 0))}
	}
	if e := checkRules(req.Messages, req.Tools); e != nil {
		return &Rejection{Status: http.StatusBadRequest, Body: marshal(e)}
	}
	return nil
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	i, body := s.receive(r)
	respond := s.responder(w, i)
	if r.Method != http.MethodPost {
		respond(http.StatusMethodNotAllowed, []byte(`{"detail":"Method Not Allowed"}`))
		return
	}
	if !s.authorized(r) {
		respond(http.StatusUnauthorized, []byte(errorBody(http.StatusUnauthorized)))
		return
	}
	if rej := CheckChatRequest(body); rej != nil {
		respond(rej.Status, rej.Body)
		return
	}
	var req struct {
		Model    string          `json:"model"`
		Stream   bool            `json:"stream"`
		Messages []wireMessage   `json:"messages"`
		Tools    json.RawMessage `json:"tools"`
	}
	_ = json.Unmarshal(body, &req)
	if _, ok := s.knows(req.Model); !ok {
		// {"object":"error","message":"Invalid model: x","type":"invalid_model","code":"1500"}
		// (embabel MistralResponses; Mistral answers a withdrawn model with 400).
		respond(http.StatusBadRequest, marshal(newAPIError("Invalid model: "+req.Model, "invalid_model", "1500", 0)))
		return
	}
	prompt := 0
	for _, m := range req.Messages {
		prompt += estimateTokens(string(m.Content)) + 4
		for _, c := range m.ToolCalls {
			prompt += estimateTokens(c.Function.Name) + 8
		}
	}
	prompt += estimateTokens(string(req.Tools))
	if prompt > s.window {
		// Recorded: {"object":"error","message":"Prompt contains 159202 tokens
		// and 0 draft tokens, too large for model with 131072 maximum context
		// length","type":"invalid_request_invalid_args","param":null,"code":"3051","raw_status_code":400}
		respond(http.StatusBadRequest, marshal(newAPIError(
			fmt.Sprintf("Prompt contains %d tokens and 0 draft tokens, too large for model with %d maximum context length", prompt, s.window),
			"invalid_request_invalid_args", "3051", 400)))
		return
	}

	reply, seq := s.next()
	if reply.Delay > 0 {
		t := time.NewTimer(reply.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			s.setStatus(i, 499) // nginx's "client closed request"
			return
		}
	}
	if reply.RetryAfter != "" {
		w.Header().Set("Retry-After", reply.RetryAfter)
	}
	if reply.Status != 0 && reply.Status != http.StatusOK {
		b := reply.Body
		if b == "" {
			b = errorBody(reply.Status)
		}
		respond(reply.Status, []byte(b))
		return
	}
	s.setStatus(i, http.StatusOK)
	s.answer(w, r, &reply, seq, req.Model, req.Stream, prompt)
}

// answer writes a scripted reply, streamed or whole.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, reply *Reply, seq int, model string, streamed bool, prompt int) {
	id := fmt.Sprintf("%032x", seq)
	created := time.Now().Unix()
	calls := make([]ToolCall, len(reply.ToolCalls))
	for i, c := range reply.ToolCalls {
		if c.ID == "" && !c.OmitID {
			c.ID = freshID(seq, i)
		}
		calls[i] = c
	}
	u := usageInfo{PromptTokens: prompt, CompletionTokens: max(1, estimateTokens(reply.Reasoning+reply.Text))}
	for _, c := range calls {
		u.CompletionTokens += estimateTokens(c.Name+c.Arguments) + 4
	}
	if reply.Usage != nil {
		u = usageInfo{PromptTokens: reply.Usage.PromptTokens, CompletionTokens: reply.Usage.CompletionTokens}
		if reply.Usage.CachedTokens > 0 {
			u.PromptTokensDetails = &tokenDetails{CachedTokens: reply.Usage.CachedTokens}
		}
	}
	u.TotalTokens = u.PromptTokens + u.CompletionTokens

	if !streamed {
		writeJSON(w, http.StatusOK, marshal(reply.completion(id, model, created, u, calls)))
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	evs := reply.events(id, model, created, u, calls)
	if reply.OmitFinish {
		evs = evs[:len(evs)-1]
	}
	for n, ev := range evs {
		if reply.CutAfter > 0 && n == reply.CutAfter {
			// Drop the connection without ending the chunked body, as a
			// broken connection does.
			panic(http.ErrAbortHandler)
		}
		if reply.StallAfter > 0 && n == reply.StallAfter {
			<-r.Context().Done()
			return
		}
		if _, err := w.Write(sseData(ev)); err != nil {
			return
		}
		if flusher != nil {
			flusher.Flush()
		}
	}
	_, _ = w.Write([]byte("data: [DONE]\n\n"))
}

// freshID makes a Mistral-style tool call id: nine letters and digits.
func freshID(seq, i int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	v := uint64(seq)*1000003 + uint64(i)*7919 + 0x5bd1e995
	var b bytes.Buffer
	for range 9 {
		v = v*6364136223846793005 + 1442695040888963407
		b.WriteByte(alphabet[(v>>33)%uint64(len(alphabet))])
	}
	return b.String()
}

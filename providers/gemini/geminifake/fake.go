// Package geminifake is an httptest fake of the Gemini API v1beta as
// google.golang.org/genai calls it: POST /v1beta/models/{model}:generateContent
// and :streamGenerateContent (alt=sse, or a JSON array without it), and
// GET /v1beta/models/{model} (Models.Get).
//
// It enforces the API's rules that an adapter can get wrong — the
// x-goog-api-key header, strict camelCase bodies, roles, alternation, the
// one-data-field part, thought signatures on function-call history, output
// and thinking limits — each with its source cited beside the check, and it
// answers with Google's error envelope and wording. Replies are scripted
// (Enqueue) and every request is recorded, raw and decoded, safe for
// concurrent use.
//
// Wire details it reproduces: SSE events are "data: <json>\r\n\r\n" — CRLF
// line endings, as Gemini and Vertex send them (nyroway/nyro PR #265:
// "Vertex AI emits SSE frames with CRLF terminators"; mokksy/ai-mocks PR
// #703 fixed its Gemini mock to end events with \r\n) — with no "event:"
// or "id:" lines and no [DONE]: the stream ends at EOF. Function calls
// arrive whole in one part (FunctionCall.partialArgs is "not supported in
// Gemini API", go-genai types.go). usageMetadata is a running total on every
// event.
package geminifake

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Options configures a Server. The zero value is usable.
type Options struct {
	// Key is the API key the fake accepts (default "fake-key").
	Key string
	// Models are the model ids served (default gemini-2.5-pro).
	Models []string
	// InputTokenLimit is the prompt size beyond which a request fails with
	// Gemini's token-count 400 (default 1,048,576; counted at 4 bytes a
	// token).
	InputTokenLimit int
	// OutputTokenLimit bounds maxOutputTokens (default 65,536).
	OutputTokenLimit int
	// SignatureBytes is the size of issued thought signatures (default 768:
	// real ones are opaque blobs of several hundred bytes and up).
	SignatureBytes int
}

// Record is one request the fake received.
type Record struct {
	Method   string
	Path     string
	RawQuery string
	Header   http.Header
	Body     []byte
	// Model is the model id from the path ("" if the path had none).
	Model string
	// Stream is true for streamGenerateContent.
	Stream bool
	// Request is the decoded body of a generate call; nil if it did not
	// decode or the call was not a generate call.
	Request *Request
}

// Server is a running fake.
type Server struct {
	// URL is the base URL to give the SDK (HTTPOptions.BaseURL).
	URL  string
	srv  *httptest.Server
	opts Options

	mu      sync.Mutex
	script  []Reply
	records []Record
	issued  map[string]sigKind
	seq     int
}

// New starts a fake. Close it when done.
func New(o Options) *Server {
	if o.Key == "" {
		o.Key = "fake-key"
	}
	if len(o.Models) == 0 {
		o.Models = []string{"gemini-2.5-pro"}
	}
	if o.InputTokenLimit <= 0 {
		o.InputTokenLimit = 1048576
	}
	if o.OutputTokenLimit <= 0 {
		o.OutputTokenLimit = 65536
	}
	if o.SignatureBytes <= 0 {
		o.SignatureBytes = 768
	}
	s := &Server{opts: o, issued: map[string]sigKind{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close shuts the server down, dropping open streams.
func (s *Server) Close() {
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// Enqueue appends replies to the script. Each generate request takes the
// next one; when the script is empty the answer is "ok".
func (s *Server) Enqueue(r ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script = append(s.script, r...)
}

// Requests returns a copy of every request recorded so far.
func (s *Server) Requests() []Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Record(nil), s.records...)
}

// Issued reports whether sig is a thought signature this fake issued.
func (s *Server) Issued(sig []byte) bool {
	_, ok := s.issuedSig(sig)
	return ok
}

func (s *Server) issuedSig(sig []byte) (sigKind, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.issued[string(sig)]
	return k, ok
}

// next takes the next scripted reply.
func (s *Server) next() Reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.script) == 0 {
		return Reply{}
	}
	r := s.script[0]
	if r.Times > 1 {
		s.script[0].Times--
	} else {
		s.script = s.script[1:]
	}
	return r
}

func (s *Server) record(r Record) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records = append(s.records, r)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	rec := Record{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: r.Header.Clone(), Body: body}
	model, method, ok := parsePath(r.URL.Path)
	rec.Model = model
	rec.Stream = method == "streamGenerateContent"

	var req *Request
	if ok && r.Method == http.MethodPost && (method == "generateContent" || method == "streamGenerateContent") {
		req = &Request{}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(req); err != nil {
			rec.Request = nil
			s.record(rec)
			s.authOr(w, r, func() {
				writeError(w, badRequest("Invalid JSON payload received. %s", err.Error()), "")
			})
			return
		}
		rec.Request = req
	}
	s.record(rec)

	s.authOr(w, r, func() {
		switch {
		case !ok:
			writeError(w, &apiErrorBody{Code: 404, Status: "NOT_FOUND", Message: "Requested entity was not found."}, "")
		case !s.serves(model):
			writeError(w, &apiErrorBody{Code: 404, Status: "NOT_FOUND",
				Message: fmt.Sprintf("models/%s is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.", model)}, "")
		case r.Method == http.MethodGet && method == "":
			s.getModel(w, model)
		case r.Method == http.MethodPost && req != nil:
			s.generate(w, r, model, req, body, rec.Stream)
		default:
			writeError(w, &apiErrorBody{Code: 404, Status: "NOT_FOUND", Message: "Requested entity was not found."}, "")
		}
	})
}

// authOr checks the key, then runs next. No key at all is Google's 403
// "Method doesn't allow unregistered callers"; a wrong key is 400
// INVALID_ARGUMENT "API key not valid" with reason API_KEY_INVALID (both
// recorded from googleapis.com services; the SDK sends the key only as the
// x-goog-api-key header, api_client.go buildRequest).
func (s *Server) authOr(w http.ResponseWriter, r *http.Request, next func()) {
	key := r.Header.Get("x-goog-api-key")
	if key == "" {
		key = r.URL.Query().Get("key")
	}
	switch {
	case key == "":
		writeError(w, &apiErrorBody{Code: 403, Status: "PERMISSION_DENIED",
			Message: "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API."}, "")
	case key != s.opts.Key:
		writeError(w, &apiErrorBody{Code: 400, Status: "INVALID_ARGUMENT",
			Message: "API key not valid. Please pass a valid API key.",
			Details: []map[string]any{{
				"@type":  "type.googleapis.com/google.rpc.ErrorInfo",
				"reason": "API_KEY_INVALID", "domain": "googleapis.com",
				"metadata": map[string]any{"service": "generativelanguage.googleapis.com"},
			}}}, "")
	default:
		next()
	}
}

// parsePath splits "/v1beta/models/{model}[:{method}]".
func parsePath(p string) (model, method string, ok bool) {
	rest, found := strings.CutPrefix(p, "/v1beta/models/")
	if !found || rest == "" {
		return "", "", false
	}
	model, method, _ = strings.Cut(rest, ":")
	return model, method, model != ""
}

func (s *Server) serves(model string) bool {
	for _, m := range s.opts.Models {
		if m == model {
			return true
		}
	}
	return false
}

// getModel answers Models.Get with the Model resource's fields.
func (s *Server) getModel(w http.ResponseWriter, model string) {
	writeJSON(w, http.StatusOK, map[string]any{
		"name":                       "models/" + model,
		"version":                    "2.5",
		"displayName":                model,
		"description":                "Fake " + model,
		"inputTokenLimit":            s.opts.InputTokenLimit,
		"outputTokenLimit":           s.opts.OutputTokenLimit,
		"supportedGenerationMethods": []string{"generateContent", "countTokens", "createCachedContent", "batchGenerateContent"},
		"temperature":                1,
		"topP":                       0.95,
		"topK":                       64,
		"maxTemperature":             2,
		"thinking":                   true,
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, e *apiErrorBody, retryAfter string) {
	if retryAfter != "" {
		w.Header().Set("Retry-After", retryAfter)
	}
	writeJSON(w, e.Code, apiError{Error: *e})
}

// newSignature issues a random signature and remembers where it went.
func (s *Server) newSignature(k sigKind) string {
	b := make([]byte, s.opts.SignatureBytes)
	_, _ = rand.Read(b)
	s.mu.Lock()
	s.issued[string(b)] = k
	s.mu.Unlock()
	return base64.StdEncoding.EncodeToString(b)
}

func (s *Server) responseID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	return fmt.Sprintf("fake-%d-%d", time.Now().UnixNano(), s.seq)
}

package openaifake

import (
	"net/http"
	"strconv"
	"time"
)

// A test that needs a particular answer (tool calls, a failure, a slow
// reply) queues it with Enqueue; each chat request takes the next one (a
// request the fake refuses, malformed or over its window, takes none),
// and once the queue is empty the fake answers with its echo again. A queued
// answer is written exactly as the echo is (the same chunks, usage and
// timings), so the two differ only in what they say.

// Reply is one scripted answer.
type Reply struct {
	// Text is the answer's content, a chunk a piece when streamed.
	Text []string
	// Calls are the tools the answer calls; its finish reason is then
	// tool_calls.
	Calls []Call
	// Status, when not 0, fails the request with this HTTP status in the
	// OpenAI error envelope, and RetryAfter, when positive, says when to
	// come back, in seconds, in a Retry-After header.
	Status, RetryAfter int
	// Delay holds the answer back before anything is sent; a request
	// cancelled meanwhile gets nothing.
	Delay time.Duration
}

// Call is a tool call of a scripted answer.
type Call struct {
	Name string
	// Arguments is the call's arguments, a JSON object's text.
	Arguments string
}

// Enqueue queues replies for the next chat requests, in order. Safe while
// serving.
func (s *Server) Enqueue(replies ...Reply) {
	s.scriptMu.Lock()
	s.script = append(s.script, replies...)
	s.queued.Store(int64(len(s.script)))
	s.scriptMu.Unlock()
}

// next takes the next scripted reply, if one is queued. The echo's path
// pays one atomic load for it.
func (s *Server) next() (Reply, bool) {
	if s.queued.Load() == 0 {
		return Reply{}, false
	}
	s.scriptMu.Lock()
	defer s.scriptMu.Unlock()
	if len(s.script) == 0 {
		return Reply{}, false
	}
	r := s.script[0]
	s.script = s.script[1:]
	s.queued.Store(int64(len(s.script)))
	return r, true
}

// hold waits out r's delay, and reports false when the client left first.
func hold(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// failScripted answers a scripted failure.
func failScripted(w http.ResponseWriter, rp *Reply) {
	if rp.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(rp.RetryAfter))
	}
	fail(w, rp.Status, "scripted failure "+strconv.Itoa(rp.Status), errorType(rp.Status))
}

// errorType is the error type llama.cpp's server names a status with
// (tools/server/server-common.cpp, format_error_response); it sends no
// 429 of its own, and for one OpenAI's code rate_limit_exceeded stands.
func errorType(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "invalid_request_error"
	case http.StatusUnauthorized:
		return "authentication_error"
	case http.StatusForbidden:
		return "permission_error"
	case http.StatusNotFound:
		return "not_found_error"
	case http.StatusTooManyRequests:
		return "rate_limit_exceeded"
	case http.StatusNotImplemented:
		return "not_supported_error"
	case http.StatusServiceUnavailable:
		return "unavailable_error"
	}
	return "server_error"
}

// toolCalls is calls as a whole answer's message.tool_calls, each with
// the id chat n gives it.
func toolCalls(calls []Call, n int64) string {
	out := `[`
	for i, c := range calls {
		if i > 0 {
			out += ","
		}
		out += `{"type":"function","function":{"name":` + quote(c.Name) + `,"arguments":` + quote(c.Arguments) + `},"id":` + quote(callID(n, i)) + `}`
	}
	return out + `]`
}

// callDeltas are the chunks' choices that stream call i as llama.cpp's
// server does (tools/server/README.md; ../testdata/stream-toolcalls.sse):
// first its identity with empty arguments, then the arguments.
func callDeltas(c Call, i int, n int64) (identity, arguments string) {
	idx := strconv.Itoa(i)
	identity = `{"finish_reason":null,"index":0,"delta":{"tool_calls":[{"index":` + idx + `,"id":` + quote(callID(n, i)) +
		`,"type":"function","function":{"name":` + quote(c.Name) + `,"arguments":""}}]}}`
	arguments = `{"finish_reason":null,"index":0,"delta":{"tool_calls":[{"index":` + idx + `,"function":{"arguments":` + quote(c.Arguments) + `}}]}}`
	return identity, arguments
}

// callID is the id of chat n's call i: unique across the fake's answers,
// as the engine's random ids are.
func callID(n int64, i int) string {
	return "call_" + strconv.FormatInt(n, 10) + "_" + strconv.Itoa(i)
}

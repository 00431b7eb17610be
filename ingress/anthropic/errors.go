package anthropic

import (
	"fmt"
	"net/http"

	"github.com/switchyard/switchyard/ingress"
)

// statusOverloaded is Anthropic's 529 overloaded_error.
const statusOverloaded = 529

// errorOf is the status, Anthropic error type and message e is written
// with. Types follow Anthropic's error reference (400 invalid_request_error,
// also for other 4XX; 401 authentication_error; 403 permission_error; 404
// not_found_error; 413 request_too_large; 429 rate_limit_error; 500
// api_error; 529 overloaded_error).
//
// upstream_unavailable (no provider can take the job now) is 529
// overloaded_error: it is what Anthropic says for "try again shortly", and
// Claude Code retries it with backoff (NOTES.md §6, r15), as the SDKs retry
// every 5XX. A bare 503 would be retried too, but the type would say
// api_error, which clients report as a fault rather than a wait.
func errorOf(e *ingress.Error) (status int, typ, msg string) {
	status, msg = e.Status, e.Message
	if status == 0 {
		status = http.StatusInternalServerError
	}
	switch e.Code {
	case ingress.CodeContextLength:
		return http.StatusBadRequest, "invalid_request_error", contextMessage(e)
	case ingress.CodeUnavailable:
		return statusOverloaded, "overloaded_error", msg
	case ingress.CodeTooLarge:
		status = http.StatusRequestEntityTooLarge
	case ingress.CodePrivacy:
		status = http.StatusForbidden
	case ingress.CodeUnauthorized:
		status = http.StatusUnauthorized
	case ingress.CodeRateLimited:
		status = http.StatusTooManyRequests
	case ingress.CodeNotFound:
		status = http.StatusNotFound
	}
	switch {
	case status == http.StatusUnauthorized:
		typ = "authentication_error"
	case status == http.StatusForbidden:
		typ = "permission_error"
	case status == http.StatusNotFound:
		typ = "not_found_error"
	case status == http.StatusRequestEntityTooLarge:
		typ = "request_too_large"
	case status == http.StatusTooManyRequests:
		typ = "rate_limit_error"
	case status == statusOverloaded:
		typ = "overloaded_error"
	case status < 500:
		typ = "invalid_request_error"
	default:
		typ = "api_error"
	}
	return status, typ, msg
}

// minUsefulOutput is the smallest output budget worth asking a client to
// shrink max_tokens to rather than compact.
const minUsefulOutput = 4096

// contextMessage words a context_length_exceeded refusal as Anthropic does,
// because Claude Code acts on the wording (NOTES.md §4): a 400 whose message
// starts "prompt is too long: N tokens > M maximum" makes it compact the
// conversation by N-M tokens and retry, and "input length and `max_tokens`
// exceed context limit: I + O > M" makes it retry with max_tokens M-I-1000.
// The second is used when the prompt fits and only the output budget does
// not, with room left for a useful answer; otherwise the first, with N the
// prompt plus its output budget when the prompt alone fits, so that
// compacting by N-M frees what the job needs. Switchyard's own explanation
// follows either.
func contextMessage(e *ingress.Error) string {
	t, o, m := e.Tokens, e.Output, e.Limit
	switch {
	case t <= 0 || m <= 0:
		return "prompt is too long: " + e.Message
	case t > m:
		return fmt.Sprintf("prompt is too long: %d tokens > %d maximum. %s", t, m, e.Message)
	case o > 0 && m-t-1000 >= minUsefulOutput:
		return fmt.Sprintf("input length and `max_tokens` exceed context limit: %d + %d > %d, decrease input length or `max_tokens` and try again. %s", t, o, m, e.Message)
	}
	return fmt.Sprintf("prompt is too long: %d tokens > %d maximum. %s", t+o, m, e.Message)
}

// appendEnvelope appends Anthropic's error body, with request_id when id
// is set.
func appendEnvelope(b []byte, typ, msg, id string) []byte {
	b = append(b, `{"type":"error","error":{"type":`...)
	b = appendString(b, typ)
	b = append(b, `,"message":`...)
	b = appendString(b, msg)
	b = append(b, '}')
	if id != "" {
		b = append(b, `,"request_id":`...)
		b = appendString(b, id)
	}
	return append(b, '}')
}

// requestIDHeader is the response header the router sets to the request's
// id before any handler runs. Anthropic's clients show request_id in the
// body and read the request-id header.
const requestIDHeader = "X-Switchyard-Request-Id"

// WriteError writes e in Anthropic's envelope, with the status Anthropic
// gives its type, Retry-After when e has one, and the router's request id
// as request_id and request-id.
func (Dialect) WriteError(w http.ResponseWriter, e *ingress.Error) {
	status, typ, msg := errorOf(e)
	h := w.Header()
	id := h.Get(requestIDHeader)
	if id != "" {
		h.Set("request-id", id)
	}
	h.Set("Content-Type", "application/json")
	ingress.SetRetryAfter(h, e)
	w.WriteHeader(status)
	w.Write(append(appendEnvelope(make([]byte, 0, 96+len(msg)), typ, msg, id), '\n'))
}

package gemini

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/switchyard/switchyard/ingress"
)

// errorOf is the status, Google status word and message e is written with.
// The words are google.rpc.Code's as Google's API maps them to HTTP
// (https://ai.google.dev/gemini-api/docs/troubleshooting#error-codes: 400
// INVALID_ARGUMENT, 403 PERMISSION_DENIED, 404 NOT_FOUND, 429
// RESOURCE_EXHAUSTED, 500 INTERNAL, 503 UNAVAILABLE, 504
// DEADLINE_EXCEEDED). A body too large is 400 INVALID_ARGUMENT, as Google
// answers "Request payload size exceeds the limit". A prompt too long is
// 400 in Gemini's own words (contextMessage); privacy refusals are 403.
func errorOf(e *ingress.Error) (status int, word, msg string) {
	status, msg = e.Status, e.Message
	if status == 0 {
		status = http.StatusInternalServerError
	}
	switch e.Code {
	case ingress.CodeContextLength:
		return http.StatusBadRequest, "INVALID_ARGUMENT", contextMessage(e)
	case ingress.CodeTooLarge, ingress.CodeInvalidRequest:
		status = http.StatusBadRequest
	case ingress.CodePrivacy:
		status = http.StatusForbidden
	case ingress.CodeUnauthorized:
		status = http.StatusUnauthorized
	case ingress.CodeRateLimited:
		status = http.StatusTooManyRequests
	case ingress.CodeNotFound:
		status = http.StatusNotFound
	case ingress.CodeUnavailable:
		status = http.StatusServiceUnavailable
	case ingress.CodeTimeout:
		status = http.StatusGatewayTimeout
	}
	switch status {
	case http.StatusBadRequest:
		word = "INVALID_ARGUMENT"
	case http.StatusUnauthorized:
		word = "UNAUTHENTICATED"
	case http.StatusForbidden:
		word = "PERMISSION_DENIED"
	case http.StatusNotFound:
		word = "NOT_FOUND"
	case http.StatusMethodNotAllowed:
		word = "UNIMPLEMENTED"
	case http.StatusConflict:
		word = "ABORTED"
	case http.StatusTooManyRequests:
		word = "RESOURCE_EXHAUSTED"
	case 499:
		word = "CANCELLED"
	case http.StatusNotImplemented:
		word = "UNIMPLEMENTED"
	case http.StatusServiceUnavailable:
		word = "UNAVAILABLE"
	case http.StatusGatewayTimeout:
		word = "DEADLINE_EXCEEDED"
	default:
		if status < 500 {
			word = "FAILED_PRECONDITION"
		} else {
			word = "INTERNAL"
		}
	}
	return status, word, msg
}

// contextMessage words a context_length_exceeded refusal as Gemini does
// for an over-long prompt, "The input token count (N) exceeds the maximum
// number of tokens allowed (M)." (quoted in google-gemini/gemini-cli#4118,
// #6678, #12098), which Gemini CLI and people recognise; switchyard's own
// explanation follows. N counts the output budget too when the prompt alone
// fits, so the numbers say why.
func contextMessage(e *ingress.Error) string {
	t, m := e.Tokens, e.Limit
	if t <= 0 || m <= 0 {
		return "The input token count exceeds the maximum number of tokens allowed. " + e.Message
	}
	if t <= m {
		t += e.Output
	}
	return fmt.Sprintf("The input token count (%d) exceeds the maximum number of tokens allowed (%d). %s", t, m, e.Message)
}

// appendEnvelope appends Google's error body. details carries the
// contract's code as a google.rpc.ErrorInfo (reason, domain), and the wait
// as a google.rpc.RetryInfo for a rate limit, which Gemini CLI reads to
// time its retry; genai keeps details as a list of maps, so they are
// harmless to a reader that does not know them.
func appendEnvelope(b []byte, status int, word, msg string, e *ingress.Error) []byte {
	b = append(b, `{"error":{"code":`...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, `,"message":`...)
	b = appendString(b, msg)
	b = append(b, `,"status":"`...)
	b = append(b, word...)
	b = append(b, `","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":`...)
	b = appendString(b, e.Code)
	b = append(b, `,"domain":"switchyard"}`...)
	if e.RetryAfter > 0 {
		b = append(b, `,{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"`...)
		b = strconv.AppendInt(b, int64((e.RetryAfter+time.Second-1)/time.Second), 10)
		b = append(b, `s"}`...)
	}
	return append(b, `]}}`...)
}

// WriteError writes e in Google's envelope, with Retry-After when e has
// one.
func (Dialect) WriteError(w http.ResponseWriter, e *ingress.Error) {
	status, word, msg := errorOf(e)
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=UTF-8")
	ingress.SetRetryAfter(h, e)
	w.WriteHeader(status)
	w.Write(append(appendEnvelope(make([]byte, 0, 192+len(msg)), status, word, msg, e), '\n'))
}

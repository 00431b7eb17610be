package ingress

import (
	"fmt"
	"net/http"
	"time"
)

// Error codes: the contract's error table (shared/CONTRACT.md, "Errors"),
// and a few of switchyard's own. Every dialect carries the code in its
// envelope where it has a place for one, and maps it to its own error
// type and status where it has its own.
const (
	CodeInvalidRequest = "invalid_request"
	CodeTooLarge       = "request_too_large"
	CodeUnauthorized   = "unauthorized"
	CodeContextLength  = "context_length_exceeded"
	CodePrivacy        = "privacy_policy"
	CodeRateLimited    = "rate_limited"
	CodeUpstreamError  = "upstream_error"
	CodeUnavailable    = "upstream_unavailable"
	CodeTimeout        = "upstream_timeout"
	CodeNotFound       = "not_found"
	CodeMethod         = "method_not_allowed"
	CodeClientGone     = "client_closed_request"
)

// Error is the one error type the HTTP surface writes: the status, the
// contract's code and a message for the client, kept apart from the cause,
// which is only logged.
type Error struct {
	Status  int
	Code    string
	Message string
	// Param names the field at fault, when one is.
	Param string
	// Tokens, Output and Limit, for a context_length_exceeded error, are
	// the prompt's size, the output budget the job asked for, and the
	// largest window it could have used, so a dialect whose clients parse
	// them (Anthropic's "prompt is too long: N tokens > M maximum") can say
	// them in its own words; 0 when unknown.
	Tokens, Output, Limit int
	// RetryAfter, when positive, is sent as Retry-After.
	RetryAfter time.Duration
	Cause      error
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return e.Code + ": " + e.Message + ": " + e.Cause.Error()
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Cause }

// Errorf returns an Error with a formatted message.
func Errorf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// BadParam is a 400 invalid_request about one field.
func BadParam(param, format string, args ...any) *Error {
	e := Errorf(http.StatusBadRequest, CodeInvalidRequest, format, args...)
	e.Param = param
	return e
}

// SetRetryAfter sets the Retry-After header for e, in whole seconds
// rounded up, when it has one.
func SetRetryAfter(h http.Header, e *Error) {
	if e.RetryAfter > 0 {
		h.Set("Retry-After", fmt.Sprint(int((e.RetryAfter+time.Second-1)/time.Second)))
	}
}

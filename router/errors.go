package router

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/switchyard/switchyard/policy"
	"github.com/switchyard/switchyard/providers"
)

// Error codes of the contract's error table, plus a few of our own.
const (
	codeInvalidRequest = "invalid_request"
	codeTooLarge       = "request_too_large"
	codeUnauthorized   = "unauthorized"
	codeRateLimited    = "rate_limited"
	codeUpstreamError  = "upstream_error"
	codeUnavailable    = "upstream_unavailable"
	codeTimeout        = "upstream_timeout"
	codeNotFound       = "not_found"
	codeMethod         = "method_not_allowed"
	codeClientGone     = "client_closed_request"
)

// apiError is the one error type the HTTP surface writes: the status, the
// contract's code and a message for the client, kept apart from the cause,
// which is only logged.
type apiError struct {
	Status     int
	Code       string
	Message    string
	Param      string
	RetryAfter time.Duration
	Cause      error
}

func (e *apiError) Error() string {
	if e.Cause != nil {
		return e.Code + ": " + e.Message + ": " + e.Cause.Error()
	}
	return e.Code + ": " + e.Message
}

func (e *apiError) Unwrap() error { return e.Cause }

func newError(status int, code, format string, args ...any) *apiError {
	return &apiError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// errType is the OpenAI envelope's "type" for a status.
func errType(status int) string {
	switch {
	case status == http.StatusUnauthorized:
		return "authentication_error"
	case status == http.StatusForbidden:
		return "permission_error"
	case status == http.StatusTooManyRequests:
		return "rate_limit_error"
	case status < 500:
		return "invalid_request_error"
	}
	return "api_error"
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    string  `json:"code"`
}

func envelope(e *apiError) []byte {
	d := errorDetail{Message: e.Message, Type: errType(e.Status), Code: e.Code}
	if e.Param != "" {
		d.Param = &e.Param
	}
	b, _ := json.Marshal(errorBody{Error: d})
	return b
}

// writeError writes e as the OpenAI error envelope. It is the only place a
// response error body is written.
func writeError(w http.ResponseWriter, e *apiError) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	if e.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
	}
	w.WriteHeader(e.Status)
	w.Write(envelope(e))
	w.Write([]byte("\n"))
}

// refusalError turns a policy refusal into the contract's status and code.
func refusalError(r *policy.Refusal) *apiError {
	status := http.StatusBadRequest
	switch r.Code {
	case policy.CodePrivacy:
		status = http.StatusForbidden
	case policy.CodeUnavailable:
		status = http.StatusServiceUnavailable
	}
	return &apiError{Status: status, Code: r.Code, Message: r.Message}
}

// upstreamError maps the last provider failure of a plan to what the client
// sees. tried names every provider that failed, with its failure, so the
// message says which provider said what.
func upstreamError(err error, tried []string) *apiError {
	if errors.Is(err, context.Canceled) {
		return &apiError{Status: 499, Code: codeClientGone, Message: "the client closed the request", Cause: err}
	}
	pe, ok := providers.AsError(err)
	if !ok {
		return &apiError{Status: http.StatusBadGateway, Code: codeUpstreamError, Message: "the upstream failed", Cause: err}
	}
	msg := pe.Message
	if len(tried) > 1 {
		msg = "every provider the job may use failed: " + joinTried(tried)
	} else if pe.Provider != "" {
		msg = pe.Provider + ": " + pe.Message
	}
	e := &apiError{Message: msg, Cause: err}
	switch pe.Kind {
	case providers.KindRateLimited:
		e.Status, e.Code, e.RetryAfter = http.StatusTooManyRequests, codeRateLimited, pe.RetryAfter
		e.Message += "; retry later"
	case providers.KindTimeout:
		e.Status, e.Code = http.StatusGatewayTimeout, codeTimeout
	case providers.KindUnavailable:
		e.Status, e.Code = http.StatusServiceUnavailable, codeUnavailable
	case providers.KindContextLength:
		e.Status, e.Code = http.StatusBadRequest, policy.CodeContextLength
	case providers.KindRequest:
		e.Status, e.Code = http.StatusBadRequest, codeInvalidRequest
	default:
		e.Status, e.Code = http.StatusBadGateway, codeUpstreamError
	}
	return e
}

func joinTried(tried []string) string {
	s := ""
	for i, t := range tried {
		if i > 0 {
			s += "; "
		}
		s += t
	}
	return s
}

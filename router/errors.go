package router

import (
	"context"
	"errors"
	"net/http"

	"github.com/switchyard/switchyard/ingress"
	"github.com/switchyard/switchyard/policy"
	"github.com/switchyard/switchyard/providers"
)

// Error codes of the contract's error table, plus a few of our own.
const (
	codeInvalidRequest = ingress.CodeInvalidRequest
	codeTooLarge       = ingress.CodeTooLarge
	codeUnauthorized   = ingress.CodeUnauthorized
	codeRateLimited    = ingress.CodeRateLimited
	codeUpstreamError  = ingress.CodeUpstreamError
	codeUnavailable    = ingress.CodeUnavailable
	codeTimeout        = ingress.CodeTimeout
	codeNotFound       = ingress.CodeNotFound
	codeClientGone     = ingress.CodeClientGone
)

// apiError is the one error type the HTTP surface writes; each dialect
// writes it in its own envelope.
type apiError = ingress.Error

func newError(status int, code, format string, args ...any) *apiError {
	return ingress.Errorf(status, code, format, args...)
}

// writeError writes e in the envelope of the dialect r arrived in. It is
// the only place a response error body is written.
func writeError(w http.ResponseWriter, r *http.Request, e *apiError) {
	logOf(r).dialect().WriteError(w, e)
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
	return &apiError{Status: status, Code: r.Code, Message: r.Message, Tokens: r.Tokens, Output: r.Output, Limit: r.Limit}
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

package ollama

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/switchyard/switchyard/providers"
)

// maxErrorBody bounds how much of an error answer is read: Ollama's are one
// short JSON object, anything longer is not Ollama talking.
const maxErrorBody = 64 << 10

// contextLengthPhrases are the wordings with which Ollama reports a prompt
// longer than the window (PROVIDERS.md §3.1): its own runner's (v0.12.6+,
// truncate:false), llama-server's relayed through Ollama v0.30+
// (ggml-org/llama.cpp#17284, error type exceed_context_size_error), and
// Ollama's own when context shift is disabled for the model.
var contextLengthPhrases = []string{
	"input length exceeds the context length",
	"exceeds the available context size",
	"exceed_context_size",
	"prompt is longer than the context length",
}

// isContextLength reports whether an upstream error message says the prompt
// did not fit the window.
func isContextLength(msg string) bool {
	m := strings.ToLower(msg)
	for _, p := range contextLengthPhrases {
		if strings.Contains(m, p) {
			return true
		}
	}
	return false
}

// errorMessage extracts the text of an {"error": ...} value: a string as
// Ollama writes it, or the raw JSON of anything else.
func errorMessage(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var obj struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(raw, &obj) == nil && obj.Message != "" {
		return obj.Message
	}
	return string(raw)
}

// statusError turns a non-2xx answer into a *providers.Error. It reads (a
// bounded part of) the body but does not close it.
func (p *Provider) statusError(op string, resp *http.Response) *providers.Error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	msg := strings.TrimSpace(string(body))
	var eb errorBody
	if json.Unmarshal(body, &eb) == nil && len(eb.Error) > 0 && string(eb.Error) != "null" {
		msg = errorMessage(eb.Error)
	}
	if msg == "" {
		msg = http.StatusText(resp.StatusCode)
	}
	e := &providers.Error{
		Provider: p.name,
		Status:   resp.StatusCode,
		Message:  op + ": " + msg,
		Kind:     kindForStatus(resp.StatusCode, msg),
	}
	if s := resp.Header.Get("Retry-After"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n >= 0 {
			e.RetryAfter = time.Duration(n) * time.Second
		}
	}
	return e
}

// kindForStatus classifies an answer that came before the stream started.
// The message decides first: a context-length failure is one whatever
// status llama-server chose for it.
func kindForStatus(status int, msg string) providers.ErrorKind {
	switch {
	case isContextLength(msg):
		return providers.KindContextLength
	case status == http.StatusNotFound:
		// "model '<name>' not found" (server/routes.go ChatHandler), or not
		// an Ollama at that address at all: either way, not usable now.
		return providers.KindUnavailable
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return providers.KindAuth
	case status == http.StatusTooManyRequests:
		return providers.KindRateLimited
	case status >= 500:
		// Includes 503 "server busy ... maximum pending requests exceeded"
		// (OLLAMA_MAX_QUEUE), which another provider may well absorb.
		return providers.KindServer
	case status >= 400:
		// 400 "... does not support thinking", bad options, bad images.
		return providers.KindRequest
	}
	return providers.KindProtocol
}

// transportError classifies a failure to get any answer from Ollama.
func (p *Provider) transportError(ctx context.Context, op string, err error) *providers.Error {
	e := &providers.Error{Provider: p.name, Err: err}
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		e.Kind, e.Message = providers.KindTimeout, op+": no answer from Ollama before the deadline"
	case errors.Is(ctx.Err(), context.Canceled):
		// The client went away: nothing the provider did wrong, and nothing
		// another provider should be asked to do.
		e.Kind, e.Message = providers.KindRequest, op+": request cancelled"
	case isConnectError(err):
		e.Kind, e.Message = providers.KindUnavailable, op+": cannot connect to Ollama; is it running?"
	default:
		// The connection broke before the answer began: Ollama crashed or
		// was restarted mid-prefill.
		e.Kind, e.Message = providers.KindServer, op+": connection to Ollama failed"
	}
	return e
}

// isConnectError reports whether err happened while connecting, so that no
// byte of the request can have been processed.
func isConnectError(err error) bool {
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH) {
		return true
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}

// streamError is a failure after the stream started: the answer is
// incomplete whatever the cause.
func (p *Provider) streamError(kind providers.ErrorKind, msg string, err error) *providers.Error {
	return &providers.Error{Provider: p.name, Kind: kind, Message: "stream: " + msg, Err: err}
}

// requestError is a job Ollama cannot be given as it stands.
func (p *Provider) requestError(format string, args ...any) *providers.Error {
	return &providers.Error{Provider: p.name, Kind: providers.KindRequest, Message: fmt.Sprintf(format, args...)}
}

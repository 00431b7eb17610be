package mistral

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	openai "github.com/sashabaranov/go-openai"

	"github.com/switchyard/switchyard/providers"
	"github.com/switchyard/switchyard/providers/retry"
)

// upstreamError is what a Mistral error body says, whatever its shape.
// Shapes seen:
//
//	{"object":"error","message":"…","type":"invalid_request_message_order","param":null,"code":"3230"}
//	    documented (resources/error-glossary.md), and every 400/429 quoted in issues
//	{"object":"error","message":{"detail":[{"type":"extra_forbidden","loc":[…],"msg":"…"}]},"type":"invalid_request_error",…}
//	    422 until 2024 (nomtek/mistralai_client_dart#44)
//	{"detail":[{"type":"extra_forbidden","loc":["body","store"],"msg":"Extra inputs are not permitted","input":false}]}
//	    422 in 2026 (zeroclaw-labs/zeroclaw#2693, Gitlawb/openclaude#739)
//	{"detail":"Unauthorized"}, {"message":"Unauthorized","request_id":"…"}
//	    401 (nextcloud/integration_openai#332, cline/cline#1734)
type upstreamError struct {
	Message string
	Type    string
	Code    string
}

// maxMessage bounds what of an upstream message reaches a client.
const maxMessage = 600

// parseErrorBody reads any of the shapes above; for anything else it keeps
// the body's text, shortened.
func parseErrorBody(body []byte) upstreamError {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return upstreamError{Message: shorten(strings.TrimSpace(string(body)))}
	}
	var ue upstreamError
	ue.Message = describe(raw["message"])
	if ue.Message == "" {
		ue.Message = describe(raw["detail"])
	}
	if ue.Message == "" {
		ue.Message = shorten(strings.TrimSpace(string(body)))
	}
	_ = json.Unmarshal(raw["type"], &ue.Type)
	ue.Code = scalar(raw["code"])
	return ue
}

// describe renders a message or detail value: a string, a list of
// validation errors, or an object holding one.
func describe(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || bytes.Equal(v, []byte("null")) {
		return ""
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return shorten(s)
	}
	var nested struct {
		Detail json.RawMessage `json:"detail"`
	}
	if v[0] == '{' && json.Unmarshal(v, &nested) == nil && len(nested.Detail) > 0 {
		return describe(nested.Detail)
	}
	var items []struct {
		Type string            `json:"type"`
		Loc  []json.RawMessage `json:"loc"`
		Msg  string            `json:"msg"`
	}
	if json.Unmarshal(v, &items) == nil && len(items) > 0 {
		parts := make([]string, 0, len(items))
		for _, it := range items {
			loc := make([]string, len(it.Loc))
			for i, l := range it.Loc {
				loc[i] = scalar(l)
			}
			p := it.Msg
			if len(loc) > 0 {
				p = strings.Join(loc, ".") + ": " + p
			}
			if it.Type != "" {
				p += " (" + it.Type + ")"
			}
			parts = append(parts, p)
		}
		return shorten(strings.Join(parts, "; "))
	}
	return shorten(string(v))
}

// scalar renders a JSON string or number without quotes.
func scalar(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	v = bytes.TrimSpace(v)
	if bytes.Equal(v, []byte("null")) {
		return ""
	}
	return string(v)
}

func shorten(s string) string {
	if len(s) <= maxMessage {
		return s
	}
	return s[:maxMessage] + "…"
}

// isContextLength recognises Mistral's answer to a prompt beyond the
// window: HTTP 400, code 3051, "Prompt contains 159202 tokens and 0 draft
// tokens, too large for model with 131072 maximum context length"
// (type invalid_request_invalid_args; recorded in a public notebook, and the
// same text is matched by several gateways' overflow detectors).
func isContextLength(ue upstreamError) bool {
	if ue.Code == "3051" {
		return true
	}
	m := strings.ToLower(ue.Message)
	return strings.Contains(m, "too large for model") || strings.Contains(m, "maximum context length") ||
		strings.Contains(m, "context length") || strings.Contains(m, "context window")
}

// statusError turns an HTTP error answer into a *providers.Error.
//
// 401 and 403 are the key's fault (KindAuth). So is a 400 "Invalid model"
// (type invalid_model, code 1500): Mistral retires model ids and answers a
// retired one that way, which is the operator's configuration, not the job,
// and another provider may serve the job. 429 is KindRateLimited with the
// Retry-After Mistral sent; 5xx KindServer. 404 and 405 mean the base URL
// does not lead to Mistral's API, a broken configuration (KindProtocol).
// Any other 4xx is KindRequest, unless it is the context-length 400.
func (p *Provider) statusError(status int, header http.Header, ue upstreamError) *providers.Error {
	e := &providers.Error{Provider: p.name, Status: status}
	msg := ue.Message
	if msg == "" {
		msg = http.StatusText(status)
	}
	e.Message = "mistral said: " + p.scrub(msg)
	if ue.Type != "" || ue.Code != "" {
		e.Err = fmt.Errorf("type %q, code %q", ue.Type, ue.Code)
	}
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		e.Kind = providers.KindAuth
	case status == http.StatusTooManyRequests:
		e.Kind = providers.KindRateLimited
		if d, ok := retry.RetryAfter(&http.Response{Header: header}); ok {
			e.RetryAfter = d
		}
	case status >= 500:
		e.Kind = providers.KindServer
	case status == http.StatusNotFound || status == http.StatusMethodNotAllowed:
		e.Kind = providers.KindProtocol
		e.Message += " (does base_url end in /v1?)"
	case ue.Type == "invalid_model" || ue.Code == "1500":
		e.Kind = providers.KindAuth
		e.Message += fmt.Sprintf(" (is %q still offered? run switchyard doctor)", p.model)
	case isContextLength(ue):
		e.Kind = providers.KindContextLength
	default:
		e.Kind = providers.KindRequest
	}
	return e
}

// callError classifies what go-openai returned for a request that did not
// get a stream.
func (p *Provider) callError(ctx context.Context, err error, ex *exchange) *providers.Error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return p.contextError(ctxErr)
	}
	var reqErr *openai.RequestError
	var apiErr *openai.APIError
	switch {
	case errors.As(err, &reqErr) && reqErr.HTTPStatusCode != 0:
		return p.statusError(reqErr.HTTPStatusCode, ex.header, parseErrorBody(reqErr.Body))
	case errors.As(err, &apiErr) && apiErr.HTTPStatusCode != 0:
		// Only a body in OpenAI's {"error":{…}} envelope lands here.
		ue := upstreamError{Message: apiErr.Message, Type: apiErr.Type}
		if apiErr.Code != nil {
			ue.Code = fmt.Sprint(apiErr.Code)
		}
		return p.statusError(apiErr.HTTPStatusCode, ex.header, ue)
	}
	return p.transportError(err)
}

// transportError is a failure to talk to Mistral at all.
func (p *Provider) transportError(err error) *providers.Error {
	e := &providers.Error{Provider: p.name, Kind: providers.KindUnavailable, Message: "could not reach mistral", Err: p.scrubErr(err)}
	var opErr *net.OpError
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() && !(errors.As(err, &opErr) && opErr.Op == "dial") {
		e.Kind = providers.KindTimeout
		e.Message = "mistral did not answer in time"
	}
	return e
}

// contextError reports the caller's own cancellation or deadline. It wraps
// the context error so errors.Is(err, context.Canceled) tells a client that
// went away from an upstream failure.
func (p *Provider) contextError(ctxErr error) *providers.Error {
	if errors.Is(ctxErr, context.DeadlineExceeded) {
		return &providers.Error{Provider: p.name, Kind: providers.KindTimeout, Message: "the deadline passed before mistral finished", Err: ctxErr}
	}
	return &providers.Error{Provider: p.name, Kind: providers.KindUnavailable, Message: "the request was cancelled", Err: ctxErr}
}

// scrub removes the API key from text that came from outside. Mistral has
// never been seen to echo a key, but a message that reaches clients and
// logs is no place to find out.
func (p *Provider) scrub(s string) string {
	if p.apiKey == "" {
		return s
	}
	return strings.ReplaceAll(s, p.apiKey, "[redacted]")
}

func (p *Provider) scrubErr(err error) error {
	if err == nil || p.apiKey == "" || !strings.Contains(err.Error(), p.apiKey) {
		return err
	}
	return errors.New(p.scrub(err.Error()))
}

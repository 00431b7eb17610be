package gemini

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"google.golang.org/genai"

	"github.com/switchyard/switchyard/providers"
)

// maxUpstreamMessage bounds how much of Gemini's error text reaches a
// client: enough for the sentence that explains it, not a wall of details.
const maxUpstreamMessage = 600

// contextLengthRE matches Gemini's wording for an over-long prompt: "The
// input token count (1234567) exceeds the maximum number of tokens allowed
// (1048576)." The looser alternatives catch the same 400 phrased as
// "exceeds the maximum number of tokens" / "input token count".
var contextLengthRE = regexp.MustCompile(`(?i)exceeds the maximum number of tokens|input token count|token count .* exceeds|too many tokens`)

// mapError turns an SDK or transport error into a *providers.Error. meta is
// what the transport saw of the HTTP response (status, Retry-After), which
// genai.APIError does not carry.
func (p *Provider) mapError(ctx context.Context, err error, meta *respMeta) error {
	if err == nil {
		return nil
	}
	if pe, ok := providers.AsError(err); ok {
		return pe
	}
	status, ra, hasRA := 0, time.Duration(0), false
	if meta != nil {
		status, ra, hasRA = meta.get()
	}
	var apiErr genai.APIError
	if errors.As(err, &apiErr) {
		return p.apiError(apiErr, status, ra, hasRA)
	}
	var apiErrPtr *genai.APIError
	if errors.As(err, &apiErrPtr) && apiErrPtr != nil {
		return p.apiError(*apiErrPtr, status, ra, hasRA)
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded):
		return &providers.Error{Provider: p.name, Kind: providers.KindTimeout,
			Message: "gemini did not answer in time", Err: context.DeadlineExceeded}
	case errors.Is(err, context.Canceled) || errors.Is(ctx.Err(), context.Canceled):
		return &providers.Error{Provider: p.name, Kind: providers.KindUnavailable,
			Message: "request to gemini was cancelled", Err: context.Canceled}
	}
	return &providers.Error{Provider: p.name, Kind: providers.KindUnavailable,
		Message: "could not reach the Gemini API", Err: scrub(err, p.key)}
}

// apiError classifies an error body by HTTP status, then by what Gemini
// said. status is the transport's view; the body's code wins when present.
func (p *Provider) apiError(e genai.APIError, status int, ra time.Duration, hasRA bool) *providers.Error {
	code := e.Code
	if code == 0 {
		code = status
	}
	msg := strings.TrimSpace(scrubString(e.Message, p.key))
	if len(msg) > maxUpstreamMessage {
		msg = msg[:maxUpstreamMessage] + "…"
	}
	if msg == "" {
		msg = http.StatusText(code)
	}
	out := &providers.Error{Provider: p.name, Status: code, Message: "gemini said: " + msg}
	if e.Status != "" && !strings.HasPrefix(e.Status, strconv.Itoa(code)) {
		out.Message = fmt.Sprintf("gemini said %s: %s", e.Status, msg)
	}
	switch {
	case code == http.StatusBadRequest && isKeyInvalid(e):
		// Gemini answers a wrong key with 400 INVALID_ARGUMENT and reason
		// API_KEY_INVALID, not 401.
		out.Kind = providers.KindAuth
	case code == http.StatusBadRequest && contextLengthRE.MatchString(e.Message):
		out.Kind = providers.KindContextLength
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		out.Kind = providers.KindAuth
	case code == http.StatusNotFound:
		out.Kind = providers.KindUnavailable
		out.Message = fmt.Sprintf("gemini does not serve model %q (retired or misspelled?): %s", p.model, msg)
	case code == http.StatusTooManyRequests:
		out.Kind = providers.KindRateLimited
		if hasRA {
			out.RetryAfter = ra
		} else if d, ok := retryInfoDelay(e.Details); ok {
			out.RetryAfter = d
		}
	case code == http.StatusRequestTimeout:
		out.Kind = providers.KindTimeout
	case code >= 500:
		out.Kind = providers.KindServer
	case code >= 400:
		out.Kind = providers.KindRequest
	default:
		out.Kind = providers.KindProtocol
	}
	return out
}

// isKeyInvalid recognises Gemini's bad-key answer: an ErrorInfo detail with
// reason API_KEY_INVALID, or its message "API key not valid".
func isKeyInvalid(e genai.APIError) bool {
	for _, d := range e.Details {
		if r, _ := d["reason"].(string); r == "API_KEY_INVALID" {
			return true
		}
	}
	return strings.Contains(e.Message, "API key not valid")
}

// retryInfoDelay reads google.rpc.RetryInfo.retryDelay ("34s", "1.5s") from
// an error's details; Gemini's 429 carries the wait there rather than in a
// Retry-After header.
func retryInfoDelay(details []map[string]any) (time.Duration, bool) {
	for _, d := range details {
		t, _ := d["@type"].(string)
		if !strings.HasSuffix(t, "google.rpc.RetryInfo") {
			continue
		}
		s, _ := d["retryDelay"].(string)
		if !strings.HasSuffix(s, "s") {
			continue
		}
		f, err := strconv.ParseFloat(strings.TrimSuffix(s, "s"), 64)
		if err != nil || f < 0 || f > 24*3600 {
			continue
		}
		return time.Duration(f * float64(time.Second)), true
	}
	return 0, false
}

func scrubString(s, key string) string {
	if key == "" {
		return s
	}
	return strings.ReplaceAll(s, key, "[redacted]")
}

// requestError is a KindRequest error for a job Gemini cannot take as sent.
func (p *Provider) requestError(msg string, err error) *providers.Error {
	return &providers.Error{Provider: p.name, Kind: providers.KindRequest, Message: msg, Err: err}
}

// bodyRetryDelay reads the RetryInfo wait from a 429's error body and puts
// the body back, so the retry client waits what Gemini asked rather than
// spending its retries inside the quota window.
func bodyRetryDelay(resp *http.Response) (time.Duration, bool) {
	if resp.StatusCode != http.StatusTooManyRequests || resp.Body == nil {
		return 0, false
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	if err != nil {
		return 0, false
	}
	var env struct {
		Error struct {
			Details []map[string]any `json:"details"`
		} `json:"error"`
	}
	if json.Unmarshal(b, &env) != nil {
		return 0, false
	}
	return retryInfoDelay(env.Error.Details)
}

package responses

import (
	"fmt"
	"net/http"
	"time"

	"github.com/switchyard/switchyard/ingress"
	"github.com/switchyard/switchyard/ingress/openaichat"
)

// codePreviousNotFound is OpenAI's code for a previous_response_id it does
// not hold.
const codePreviousNotFound = "previous_response_not_found"

// WriteError writes e in OpenAI's error envelope, which Responses shares
// with chat completions ({"error":{"message","type","param","code"}}), the
// contract's code in "code". A job too big for every provider it may use
// is worded as OpenAI words it, with switchyard's numbers after: Codex
// reads the code, context_length_exceeded, and compacts its history
// before it retries (codex-rs codex-api: classify_provider_error).
func (*Dialect) WriteError(w http.ResponseWriter, e *ingress.Error) {
	if e.Code == ingress.CodeContextLength {
		c := *e
		c.Message = contextMessage(e)
		if c.Param == "" {
			c.Param = "input"
		}
		e = &c
	}
	openaichat.WriteEnvelope(w, e)
}

// contextMessage is OpenAI's words for a prompt over the window, then
// switchyard's explanation.
func contextMessage(e *ingress.Error) string {
	if e.Tokens > 0 && e.Limit > 0 {
		return fmt.Sprintf("Your input exceeds the context window of this model (%d tokens and %d for the output > %d). %s", e.Tokens, e.Output, e.Limit, e.Message)
	}
	return "Your input exceeds the context window of this model. " + e.Message
}

// failed is the error of a response.failed event.
type failed struct {
	code, message string
}

// failure is e in the words a Responses client acts on (Codex's, in
// codex-rs codex-api/src/sse/responses.rs): context_length_exceeded
// compacts, rate_limit_exceeded with "try again in Ns" waits that long,
// server_is_overloaded and server_error retry with backoff, and
// invalid_request_error does not retry. switchyard's own code begins the
// message.
func failure(e *ingress.Error) failed {
	msg := "switchyard (" + e.Code + "): " + e.Message
	switch e.Code {
	case ingress.CodeContextLength:
		return failed{"context_length_exceeded", contextMessage(e)}
	case ingress.CodeRateLimited:
		if e.RetryAfter > 0 {
			msg += fmt.Sprintf(" Please try again in %ds.", int((e.RetryAfter+time.Second-1)/time.Second))
		}
		return failed{"rate_limit_exceeded", msg}
	case ingress.CodeUnavailable:
		return failed{"server_is_overloaded", msg}
	case ingress.CodeInvalidRequest, ingress.CodePrivacy, ingress.CodeUnauthorized, ingress.CodeTooLarge, ingress.CodeNotFound:
		return failed{"invalid_request_error", msg}
	}
	return failed{"server_error", msg}
}

package openaichat

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/switchyard/switchyard/ingress"
)

// errType is the OpenAI envelope's "type" for a status, as OpenAI's API
// reference names them (Error codes).
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

// envelope is the contract's error body: OpenAI's envelope with the
// contract's code.
func envelope(e *ingress.Error) []byte {
	d := errorDetail{Message: e.Message, Type: errType(e.Status), Code: e.Code}
	if e.Param != "" {
		d.Param = &e.Param
	}
	b, _ := json.Marshal(errorBody{Error: d})
	return b
}

// WriteError writes e in OpenAI's envelope with its status, a job too big
// for every provider it may use worded as OpenAI words it.
func (Dialect) WriteError(w http.ResponseWriter, e *ingress.Error) {
	WriteEnvelope(w, worded(e))
}

// worded is e, or for a context_length_exceeded refusal with its numbers a
// copy whose message starts as OpenAI's does ("This model's maximum context
// length is M tokens. However, you requested N tokens (P in the messages, O
// in the completion). Please reduce the length of the messages or
// completion."), then switchyard's explanation. Agents act on those words:
// opencode counts a 400 matching "maximum context length is \d+ tokens" as
// a context overflow and compacts; Qwen Code matches the code or "maximum
// context length", compresses its history reactively and reads M and N
// from the sentence to know by how much (its contextLengthError.ts).
func worded(e *ingress.Error) *ingress.Error {
	if e.Code != ingress.CodeContextLength || e.Tokens <= 0 || e.Limit <= 0 {
		return e
	}
	c := *e
	if e.Output > 0 {
		c.Message = fmt.Sprintf("This model's maximum context length is %d tokens. However, you requested %d tokens (%d in the messages, %d in the completion). Please reduce the length of the messages or completion. %s",
			e.Limit, e.Tokens+e.Output, e.Tokens, e.Output, e.Message)
	} else {
		c.Message = fmt.Sprintf("This model's maximum context length is %d tokens. However, your messages resulted in %d tokens. Please reduce the length of the messages. %s",
			e.Limit, e.Tokens, e.Message)
	}
	return &c
}

// WriteEnvelope writes e in OpenAI's envelope with its status, its message
// as it is: for a dialect that shares the envelope and words its own.
func WriteEnvelope(w http.ResponseWriter, e *ingress.Error) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	ingress.SetRetryAfter(h, e)
	w.WriteHeader(e.Status)
	w.Write(append(envelope(e), '\n'))
}

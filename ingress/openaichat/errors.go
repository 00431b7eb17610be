package openaichat

import (
	"encoding/json"
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

// WriteError writes e in OpenAI's envelope with its status.
func (Dialect) WriteError(w http.ResponseWriter, e *ingress.Error) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	ingress.SetRetryAfter(h, e)
	w.WriteHeader(e.Status)
	w.Write(append(envelope(e), '\n'))
}

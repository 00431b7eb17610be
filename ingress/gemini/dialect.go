// Package gemini is the Gemini API dialect (POST
// /v1beta/models/MODEL:generateContent, :streamGenerateContent and
// :countTokens, GET /v1beta/models), as Google's generate-content reference
// (https://ai.google.dev/api/generate-content) and its clients use it:
// Gemini CLI (with GOOGLE_GEMINI_BASE_URL pointed at switchyard; a recorded
// request is research/captures/gemini-cli-0.61.json) and the official SDKs
// (google.golang.org/genai, @google/genai). The model is in the path;
// contents hold user and model turns of parts (text, inlineData, fileData,
// functionCall, functionResponse, thought text); answers are
// GenerateContentResponse objects, whole, as server-sent events (alt=sse) or
// as one JSON array sent as it grows; errors are Google's
// {"error":{"code","message","status"}} envelope.
package gemini

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/ingress"
)

// Name is the dialect's name.
const Name = "gemini"

// Dialect is the Gemini API. The zero value is ready to use.
type Dialect struct{}

var (
	_ ingress.MessageDecoder = Dialect{}
	_ ingress.Counter        = Dialect{}
	_ ingress.CountSharer    = Dialect{}
	_ ingress.ModelRouter    = Dialect{}
	_ ingress.ChatPather     = Dialect{}
)

// Name is "gemini".
func (Dialect) Name() string { return Name }

// Title is the dialect's name for people.
func (Dialect) Title() string { return "Gemini API" }

// route is the one pattern chat and count share: the call is
// MODEL:METHOD, which ServeMux cannot split.
const route = "POST /v1beta/models/{call}"

// Routes is the generate endpoint (both methods).
func (Dialect) Routes() []string { return []string{route} }

// CountRoutes is the same pattern: countTokens is a method of the model.
func (Dialect) CountRoutes() []string { return []string{route} }

// IsCount reports whether r calls countTokens.
func (Dialect) IsCount(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, ":countTokens") }

// ChatPath is the generate path for model: streamed as server-sent events,
// as Gemini CLI and the SDKs ask (the capture's path).
func (Dialect) ChatPath(model string, stream bool) string {
	if stream {
		return "/v1beta/models/" + model + ":streamGenerateContent?alt=sse"
	}
	return "/v1beta/models/" + model + ":generateContent"
}

// The methods of a model this dialect answers.
const (
	methodGenerate = "generateContent"
	methodStream   = "streamGenerateContent"
	methodCount    = "countTokens"
)

// call is what a request's path and query say: the model, the method and
// the stream's form.
type call struct {
	model, method string
	sse           bool
}

// parseCall reads r's path; an unknown method is a 404 naming the ones
// there are, as Google answers one. A nil r (a caller with only a body) is
// a whole generateContent call for no model.
func parseCall(r *http.Request) (call, *ingress.Error) {
	if r == nil || r.URL == nil {
		return call{method: methodGenerate}, nil
	}
	rest, _ := strings.CutPrefix(r.URL.Path, "/v1beta/models/")
	i := strings.LastIndexByte(rest, ':')
	if i <= 0 {
		return call{}, ingress.Errorf(http.StatusNotFound, ingress.CodeNotFound,
			"%s names no method: POST /v1beta/models/MODEL:generateContent, :streamGenerateContent or :countTokens", r.URL.Path)
	}
	c := call{model: rest[:i], method: rest[i+1:], sse: r.URL.Query().Get("alt") == "sse"}
	switch c.method {
	case methodGenerate, methodStream, methodCount:
		return c, nil
	}
	return call{}, ingress.Errorf(http.StatusNotFound, ingress.CodeNotFound,
		"method %q of model %s is not supported: switchyard answers generateContent, streamGenerateContent and countTokens", c.method, c.model)
}

// options is what the answer needs of the request: the stream's form.
type options struct {
	// sse is alt=sse: server-sent events, else one JSON array.
	sse bool
}

// apply sets what the path says on req.
func (c call) apply(req *ingress.Request) {
	req.Chat.Model = c.model
	req.Chat.Stream = c.method == methodStream
	req.Options = &options{sse: c.sse}
}

// Decode reads a generateContent or streamGenerateContent body; the model
// and whether to stream come from the path.
func (Dialect) Decode(r *http.Request, body []byte) (*ingress.Request, error) {
	c, e := parseCall(r)
	if e != nil {
		return nil, e
	}
	req, e := decodeBody(body, "")
	if e != nil {
		return nil, e
	}
	c.apply(req)
	return req, nil
}

// DecodeCount reads a countTokens body: a generate body's members at the
// top ({"contents": ...}) or inside generateContentRequest, as
// https://ai.google.dev/api/tokens#method:-models.counttokens has it.
func (Dialect) DecodeCount(r *http.Request, body []byte) (*ingress.Request, error) {
	c, e := parseCall(r)
	if e != nil {
		return nil, e
	}
	var w struct {
		GenerateContentRequest json.RawMessage `json:"generateContentRequest"`
		Contents               json.RawMessage `json:"contents"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, jsonError("", err)
	}
	var req *ingress.Request
	if !isNull(w.GenerateContentRequest) && isNull(w.Contents) {
		req, e = decodeBody(w.GenerateContentRequest, "generateContentRequest")
	} else {
		req, e = decodeBody(body, "")
	}
	if e != nil {
		return nil, e
	}
	c.apply(req)
	req.Chat.Stream = false
	return req, nil
}

// EncodeCount renders countTokens' answer.
func (Dialect) EncodeCount(promptTokens int) []byte {
	b := strconv.AppendInt(append(make([]byte, 0, 32), `{"totalTokens":`...), int64(promptTokens), 10)
	return append(b, '}')
}

// MessagesKey is "contents".
func (Dialect) MessagesKey() string { return "contents" }

// DecodeMessage decodes one content into the messages it stands for (a
// user content holding function responses is one tool message per
// response, then a user message with what else it holds). Ids it derives
// for calls and responses without one depend on this content alone (see
// derivedID).
func (Dialect) DecodeMessage(raw []byte) ([]chat.Message, bool) {
	msgs, e := decodeContent(raw, "contents[]")
	return msgs, e == nil
}

// DecodeRest decodes the members around contents and the path (model,
// method, alt): the system instruction's message comes back in
// Chat.Messages. A countTokens path is declined: the router decodes counts
// with DecodeCount.
func (Dialect) DecodeRest(r *http.Request, members [][]byte) (*ingress.Request, bool) {
	c, e := parseCall(r)
	if e != nil || c.method == methodCount {
		return nil, false
	}
	var w wireRequest
	// A member that encoding/json would take for contents (its keys match
	// without regard to case) leaves the body to Decode.
	if err := json.Unmarshal(ingress.JoinMembers(members), &w); err != nil || w.Contents != nil {
		return nil, false
	}
	req, e := decodeFields(&w, "")
	if e != nil {
		return nil, false
	}
	c.apply(req)
	return req, true
}

// NewAnswer begins a GenerateContentResponse (or its stream) from model.
func (Dialect) NewAnswer(req *ingress.Request, a ingress.AnswerInfo) ingress.Answer {
	ans := &answer{id: ingress.NewID(""), model: a.Model, promptTokens: a.PromptTokens, sse: true}
	if o, ok := req.Options.(*options); ok {
		ans.sse = o.sse
	}
	return ans
}

var badParam = ingress.BadParam

// jsonError is ingress.JSONError for this dialect's body.
func jsonError(prefix string, err error) *ingress.Error {
	return ingress.JSONError(prefix, "the GenerateContentRequest", err)
}

var isNull, isObject = ingress.IsNull, ingress.IsObject

// Package responses is the OpenAI Responses dialect (POST /v1/responses),
// as OpenAI's API reference and the clients that speak it use it: Codex
// CLI (which speaks nothing else: 0.169 refuses wire_api "chat"), the
// OpenAI SDKs' responses.create. Input is a string or items (messages,
// the model's function calls, their outputs, reasoning), instructions
// stand beside it, tools are functions, namespaces of functions, custom
// (freeform) tools and hosted tools; answers are a Response object or its
// stream of typed events with sequence numbers; errors are OpenAI's
// envelope.
//
// What Codex sends is recorded in research/captures/codex-0.169.json;
// how it reads each event and error is in codex-rs
// (codex-api/src/sse/responses.rs), cited where it matters.
//
// The dialect holds state, so it is used as a pointer from New: the store
// of recent responses that previous_response_id continues.
package responses

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"slices"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/ingress"
)

// Name is the dialect's name.
const Name = "openai-responses"

// Dialect is the OpenAI Responses API.
type Dialect struct {
	store store
}

// New returns the dialect with an empty store.
func New() *Dialect { return &Dialect{} }

var (
	_ ingress.MessageDecoder = (*Dialect)(nil)
	_ ingress.DirStater      = (*Dialect)(nil)
)

// Name is "openai-responses".
func (*Dialect) Name() string { return Name }

// Title is the dialect's name for people.
func (*Dialect) Title() string { return "OpenAI Responses" }

// Routes is the create endpoint.
func (*Dialect) Routes() []string { return []string{"POST /v1/responses"} }

// Decode reads a Responses create body.
func (d *Dialect) Decode(_ *http.Request, body []byte) (*ingress.Request, error) {
	req, e := d.decodeRequest(body)
	if e != nil {
		return nil, e
	}
	return req, nil
}

// MessagesKey is "input": an input that is a string is decoded whole.
func (*Dialect) MessagesKey() string { return "input" }

// DecodeMessage decodes one input item into the message it stands for.
// An item that stands for none (a hosted tool's call, reasoning with no
// summary) is not ok, so a conversation holding one is decoded whole,
// where Decode can tell whether anything is left of it.
func (*Dialect) DecodeMessage(raw []byte) ([]chat.Message, bool) {
	msgs, e := decodeItem(raw, "input[]")
	return msgs, e == nil && len(msgs) > 0
}

// DecodeRest decodes the members around input: the instructions and the
// conversation previous_response_id names come back in Chat.Messages.
// A stored response never changes, so the answer depends only on the
// members, as the router's cache needs.
func (d *Dialect) DecodeRest(_ *http.Request, members [][]byte) (*ingress.Request, bool) {
	var w wireRequest
	if err := json.Unmarshal(ingress.JoinMembers(members), &w); err != nil || w.Input != nil {
		return nil, false
	}
	req, e := d.decodeFields(&w)
	if e != nil {
		return nil, false
	}
	return req, true
}

// StatedDirs returns the workspaces Codex names in x-codex-turn-metadata
// ({"workspaces":{"/home/dev/src/app":{"has_changes":false}}, ...}, as in
// research/captures/codex-0.169.json): its git roots, stated beside the
// <environment_context> of the conversation.
func (*Dialect) StatedDirs(r *http.Request) []string {
	h := r.Header.Get("x-codex-turn-metadata")
	if h == "" {
		return nil
	}
	var md struct {
		Workspaces map[string]json.RawMessage `json:"workspaces"`
	}
	if json.Unmarshal([]byte(h), &md) != nil {
		return nil
	}
	var dirs []string
	for dir := range md.Workspaces {
		if filepath.IsAbs(dir) {
			dirs = append(dirs, filepath.Clean(dir))
		}
	}
	slices.Sort(dirs)
	return dirs
}

// NewAnswer begins a Response (or its events) from model.
func (d *Dialect) NewAnswer(req *ingress.Request, a ingress.AnswerInfo) ingress.Answer {
	opts, _ := req.Options.(Options)
	an := &answer{d: d, id: ingress.NewID("resp_"), model: a.Model, created: a.Created.Unix(),
		promptTokens: a.PromptTokens, opts: opts}
	if opts.Store && req.Chat != nil && opts.Instructions <= len(req.Chat.Messages) {
		an.history = req.Chat.Messages[opts.Instructions:]
	}
	return an
}

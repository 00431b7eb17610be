package router

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/switchyard/switchyard/ingress"
	"github.com/switchyard/switchyard/policy"
)

// Explanation is the decision JSON of the explain endpoint and of
// `switchyard explain`: the one type both print, so its shape (the
// contract's "Decision JSON", checked key by key in TestDecisionJSONShape)
// cannot differ between them.
type Explanation struct {
	Chosen                *string  `json:"chosen"`
	Plan                  []string `json:"plan"`
	Privacy               string   `json:"privacy"`
	PrivacySource         string   `json:"privacy_source"`
	Repo                  string   `json:"repo"`
	EstimatedPromptTokens int      `json:"estimated_prompt_tokens"`
	TokensExact           bool     `json:"estimated_tokens_exact"`
	MaxOutputTokens       int      `json:"max_output_tokens"`
	FileCount             int      `json:"file_count"`
	SecretsFound          bool     `json:"secrets_found"`
	SecretKinds           []string `json:"secret_kinds,omitempty"`
	LocalWindow           int      `json:"local_window"`
	PredictedLocalSeconds float64  `json:"predicted_local_seconds"`
	Heavy                 bool     `json:"heavy"`
	ReasonCode            string   `json:"reason_code"`
	Reasons               []string `json:"reasons"`
	Refusal               *Refusal `json:"refusal"`
	// DroppedTools are the tools the request offered that no provider can
	// run (hosted tools), left out of the job.
	DroppedTools []string `json:"dropped_tools,omitempty"`
}

// Refusal is a refused decision as the decision JSON shows it: the
// contract's {"code": "...", "message": "..."}. It is not policy.Refusal
// itself, which carries no JSON tags (package policy has no wire formats)
// and so encoded as {"Code": ..., "Message": ...}.
type Refusal struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func explanationOf(d *policy.Decision) *Explanation {
	e := &Explanation{
		Plan: d.Plan, Privacy: string(d.Privacy), PrivacySource: d.PrivacySource, Repo: d.Repo,
		EstimatedPromptTokens: d.PromptTokens, TokensExact: d.TokensExact, MaxOutputTokens: d.OutputTokens,
		FileCount: d.Files, SecretsFound: len(d.Secrets) > 0, SecretKinds: d.Secrets,
		LocalWindow: d.LocalWindow, PredictedLocalSeconds: d.PredictedLocalSeconds, Heavy: d.Heavy,
		ReasonCode: d.Code(), Reasons: []string{},
	}
	if d.Refusal != nil {
		e.Refusal = &Refusal{Code: d.Refusal.Code, Message: d.Refusal.Message}
	}
	if e.Plan == nil {
		e.Plan = []string{}
	}
	if c := d.Chosen(); c != "" {
		e.Chosen = &c
	}
	for _, r := range d.Reasons {
		e.Reasons = append(e.Reasons, r.String())
	}
	return e
}

// Explain returns the decision for a request body of the first dialect
// (chat completions) and its headers, exactly as a real request would be
// routed, sending nothing upstream. A body that is not a valid request is
// an error with the contract's code.
func (rt *Router) Explain(h http.Header, body []byte) (*Explanation, error) {
	return rt.ExplainAs("", h, body)
}

// ExplainAs is Explain for a body in the named dialect ("" for the first).
func (rt *Router) ExplainAs(dialect string, h http.Header, body []byte) (*Explanation, error) {
	dl, err := rt.dialectNamed(dialect)
	if err != nil {
		return nil, err
	}
	r := &http.Request{Method: http.MethodPost, URL: &url.URL{Path: ingress.ChatPath(dl, "auto", false)}, Header: h}
	req, memo, e := rt.decode(dl, r, body)
	if e != nil {
		return nil, e
	}
	job := rt.gather(h, req.Chat, memo, statedDirs(dl, r))
	d := policy.Decide(job, rt.candidates(context.Background(), &job, req.Chat, conversationOf(memo)), rt.opts.Settings)
	ex := explanationOf(&d)
	ex.DroppedTools = req.Chat.DroppedTools
	return ex, nil
}

// dialectNamed is the dialect called name, the first one for "".
func (rt *Router) dialectNamed(name string) (ingress.Dialect, error) {
	if name == "" {
		return rt.opts.Dialects[0], nil
	}
	var names []string
	for _, d := range rt.opts.Dialects {
		if d.Name() == name {
			return d, nil
		}
		names = append(names, d.Name())
	}
	return nil, newError(http.StatusBadRequest, codeInvalidRequest, "no dialect %q: switchyard speaks %s", name, strings.Join(names, ", "))
}

// handleExplain explains a request; ?dialect= names the body's dialect
// (default: chat completions).
func (rt *Router) handleExplain(w http.ResponseWriter, r *http.Request) {
	rl := logOf(r)
	rl.routed = true
	body, release, e := rt.readBody(w, r)
	defer release()
	if e != nil {
		rl.err = e
		writeError(w, r, e)
		return
	}
	ex, err := rt.ExplainAs(r.URL.Query().Get("dialect"), r.Header, body)
	if err != nil {
		e := asAPIError(err)
		rl.err = e
		writeError(w, r, e)
		return
	}
	rl.reason, rl.privacy, rl.estimated = ex.ReasonCode, ex.Privacy, ex.EstimatedPromptTokens
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(ex)
}

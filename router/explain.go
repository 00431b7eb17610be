package router

import (
	"encoding/json"
	"net/http"

	"github.com/switchyard/switchyard/policy"
)

// Explanation is the decision JSON of the explain endpoint and of
// `switchyard explain`.
type Explanation struct {
	Chosen                *string         `json:"chosen"`
	Plan                  []string        `json:"plan"`
	Privacy               string          `json:"privacy"`
	PrivacySource         string          `json:"privacy_source"`
	Repo                  string          `json:"repo"`
	EstimatedPromptTokens int             `json:"estimated_prompt_tokens"`
	TokensExact           bool            `json:"estimated_tokens_exact"`
	MaxOutputTokens       int             `json:"max_output_tokens"`
	FileCount             int             `json:"file_count"`
	SecretsFound          bool            `json:"secrets_found"`
	SecretKinds           []string        `json:"secret_kinds,omitempty"`
	LocalWindow           int             `json:"local_window"`
	PredictedLocalSeconds float64         `json:"predicted_local_seconds"`
	Heavy                 bool            `json:"heavy"`
	ReasonCode            string          `json:"reason_code"`
	Reasons               []string        `json:"reasons"`
	Refusal               *policy.Refusal `json:"refusal"`
}

func explanationOf(d *policy.Decision) *Explanation {
	e := &Explanation{
		Plan: d.Plan, Privacy: string(d.Privacy), PrivacySource: d.PrivacySource, Repo: d.Repo,
		EstimatedPromptTokens: d.PromptTokens, TokensExact: d.TokensExact, MaxOutputTokens: d.OutputTokens,
		FileCount: d.Files, SecretsFound: len(d.Secrets) > 0, SecretKinds: d.Secrets,
		LocalWindow: d.LocalWindow, PredictedLocalSeconds: d.PredictedLocalSeconds, Heavy: d.Heavy,
		ReasonCode: d.Code(), Reasons: []string{}, Refusal: d.Refusal,
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

// Explain returns the decision for a chat completions body and its headers,
// exactly as a real request would be routed, sending nothing upstream. A
// body that is not a valid request is an error with the contract's code.
func (rt *Router) Explain(h http.Header, body []byte) (*Explanation, error) {
	req, memo, e := rt.decoder.decode(body)
	if e != nil {
		return nil, e
	}
	job := rt.gather(h, req, memo)
	d := policy.Decide(job, rt.policyProviders(&job), rt.opts.Settings)
	return explanationOf(&d), nil
}

func (rt *Router) handleExplain(w http.ResponseWriter, r *http.Request) {
	acc := accessOf(r)
	body, e := rt.readBody(w, r)
	if e != nil {
		acc.err = e
		writeError(w, e)
		return
	}
	ex, err := rt.Explain(r.Header, body)
	if err != nil {
		e := err.(*apiError)
		acc.err = e
		writeError(w, e)
		return
	}
	acc.reason, acc.privacy, acc.estimated = ex.ReasonCode, ex.Privacy, ex.EstimatedPromptTokens
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(ex)
}

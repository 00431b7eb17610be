package router

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/ingress"
	"github.com/switchyard/switchyard/policy"
	"github.com/switchyard/switchyard/providers"
	"github.com/switchyard/switchyard/router/audit"
)

// readBody reads the whole request body under the size limit, once the
// request is admitted (see admit); the caller calls release when the
// body's decoding and deciding are done. The body is read before anything
// is forwarded: handing the inbound body to an outbound request lets
// net/http cut the stream (golang/go#40747).
func (rt *Router) readBody(w http.ResponseWriter, r *http.Request) (body []byte, release func(), e *apiError) {
	release, err := rt.admit(r)
	if err != nil {
		return nil, release, &apiError{Status: http.StatusServiceUnavailable, Code: codeUnavailable, Message: "the client went away while its request waited to be read", Cause: err}
	}
	var buf bytes.Buffer
	if n := r.ContentLength; n > 0 && n <= rt.opts.MaxBodyBytes {
		// One allocation of the right size, not a megabyte grown by
		// copying (bytes.Buffer.ReadFrom wants 512 bytes spare).
		buf.Grow(int(n) + bytes.MinRead)
	}
	_, err = buf.ReadFrom(http.MaxBytesReader(w, r.Body, rt.opts.MaxBodyBytes))
	body = buf.Bytes()
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, release, newError(http.StatusRequestEntityTooLarge, codeTooLarge,
				"the request body is larger than server.max_body_bytes (%d bytes): shorten the conversation or raise the limit", mbe.Limit)
		}
		return nil, release, &apiError{Status: http.StatusBadRequest, Code: codeInvalidRequest, Message: "could not read the request body", Cause: err}
	}
	return body, release, nil
}

// inbound is one chat request on its way through the router.
type inbound struct {
	dl  ingress.Dialect
	req *ingress.Request
	// body is the request as it came, for an upstream that forwards it so
	// (providers.Forwarder); nil when no upstream of the plan does.
	body []byte
	d    *policy.Decision
	// conv is the request's conversation, for a pool's affinity; nil when
	// unknown.
	conv *conversation
}

// chatHandler serves dl's chat endpoint.
func (rt *Router) chatHandler(dl ingress.Dialect) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, ok := rt.prepare(w, r, dl)
		if !ok {
			return
		}
		rt.execute(w, r, in)
	})
}

// decode is the request decoder for a body of dialect dl that came as r. The
// Content-Type is not checked: a body that parses as a JSON object is a
// request whatever the header says, since curl -d sends
// application/x-www-form-urlencoded unless told otherwise and first tries
// look like that. When the body as a whole is not a JSON object (the only
// errors without a Param), a Content-Type that does not say JSON is named
// as the likely reason.
func (rt *Router) decode(dl ingress.Dialect, r *http.Request, body []byte) (*ingress.Request, *decodeMemo, *apiError) {
	req, memo, err := rt.decoder.decode(dl, r, body)
	if err == nil {
		return req, memo, nil
	}
	e := asAPIError(err)
	if e.Param == "" {
		if ct := r.Header.Get("Content-Type"); ct != "" && !isJSONMediaType(ct) {
			e.Message += fmt.Sprintf("; the request said Content-Type: %s, but switchyard reads only JSON: send the request itself, as curl -H 'Content-Type: application/json' -d @request.json does", ct)
		}
	}
	return nil, nil, e
}

// isJSONMediaType reports whether a Content-Type names JSON
// (application/json, text/json, application/*+json).
func isJSONMediaType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || mt == "text/json" || strings.HasSuffix(mt, "+json")
}

// prepare reads, decodes and routes a chat request. On failure it has
// already written the error.
func (rt *Router) prepare(w http.ResponseWriter, r *http.Request, dl ingress.Dialect) (*inbound, bool) {
	rl := logOf(r)
	fail := func(e *apiError) {
		rl.reason, rl.err = e.Code, e
		setRouteHeaders(w.Header(), "none", e.Code, "", 0)
		writeError(w, r, e)
	}
	body, release, e := rt.readBody(w, r)
	defer release()
	if e != nil {
		fail(e)
		return nil, false
	}
	req, memo, e := rt.decode(dl, r, body)
	if e != nil {
		fail(e)
		return nil, false
	}
	if rt.opts.LogPrompts {
		rt.log.Debug("prompt", logID, rl.id, "body", string(body))
	}
	job := rt.gather(r.Header, req.Chat, memo, statedDirs(dl, r))
	conv := conversationOf(memo)
	d := policy.Decide(job, rt.candidates(r.Context(), &job, req.Chat, conv), rt.opts.Settings)
	rl.reason, rl.privacy, rl.estimated, rl.repo, rl.files = d.Code(), string(d.Privacy), d.PromptTokens, d.Repo, d.Files
	setRouteHeaders(w.Header(), "none", d.Code(), string(d.Privacy), d.PromptTokens)
	w.Header().Set("X-Switchyard-Privacy-Source", headerText(d.PrivacySource))
	if len(req.Chat.DroppedTools) > 0 {
		w.Header().Set("X-Switchyard-Dropped-Tools", headerText(strings.Join(req.Chat.DroppedTools, ",")))
	}
	if d.PredictedLocalSeconds > 0 {
		w.Header().Set("X-Switchyard-Predicted-Local-Seconds", strconv.FormatFloat(d.PredictedLocalSeconds, 'f', 1, 64))
	}
	if d.Refusal != nil {
		e := refusalError(d.Refusal)
		rl.err = e
		writeError(w, r, e)
		return nil, false
	}
	w.Header().Set("X-Switchyard-Plan", strings.Join(d.Plan, ","))
	in := &inbound{dl: dl, req: req, d: &d, conv: conv}
	if rt.forwards(d.Plan) {
		// Otherwise the body is garbage from here on, though the answer
		// may take minutes (a megabyte per agent, at 64 agents a quarter
		// of the heap).
		in.body = body
	}
	return in, true
}

// forwards reports whether an upstream in plan may send requests as they
// came, and so needs the body.
func (rt *Router) forwards(plan []string) bool {
	for _, name := range plan {
		if u := rt.byName[name]; u != nil {
			if _, ok := u.Provider.(providers.Forwarder); ok {
				return true
			}
		}
	}
	return false
}

// asAPIError is err as the HTTP surface writes it: a dialect's decoding
// error is one already.
func asAPIError(err error) *apiError {
	var e *apiError
	if errors.As(err, &e) {
		return e
	}
	return &apiError{Status: http.StatusBadRequest, Code: codeInvalidRequest, Message: "the request could not be read", Cause: err}
}

// answered records a complete answer: the provider's observer, metrics,
// the audit's result line or the local usage line, and the access line.
func (rt *Router) answered(up *Upstream, d *policy.Decision, rl *requestLog, u *chat.Usage, ttfb, total time.Duration) {
	var usage chat.Usage
	if u != nil {
		usage = *u
		if up.Observe != nil {
			up.Observe(d.PromptTokens, usage)
		}
	}
	rl.prompt, rl.output = usage.PromptTokens, usage.CompletionTokens
	rt.opts.Metrics.Answered(up.Name, ttfb, total, usage.PromptTokens, usage.CompletionTokens)
	if up.Local {
		if rt.opts.Usage != nil {
			rt.opts.Usage.Write(audit.Record{Event: audit.EventLocal, Provider: up.Name, Model: up.Model,
				Estimated: d.PromptTokens, Prompt: usage.PromptTokens, Completion: usage.CompletionTokens})
		}
		return
	}
	rt.auditResult(rl, up, &usage, "answered")
}

// auditEgress writes the egress record before a job goes to a provider
// that is not local. If it cannot be written the job is not sent there.
func (rt *Router) auditEgress(rl *requestLog, up *Upstream, d *policy.Decision) error {
	if up.Local {
		return nil
	}
	if d.Privacy != policy.Public {
		// The policy never plans this; refuse it here too, so no future
		// path can send a private job off the machine.
		return &providers.Error{Provider: up.Name, Kind: providers.KindRequest, Message: "refused: a private job may not leave this machine"}
	}
	rt.opts.Metrics.Egress(up.Name)
	if rt.opts.Audit == nil {
		return nil
	}
	reasons := make([]string, len(d.Reasons))
	for i, r := range d.Reasons {
		reasons[i] = r.String()
	}
	err := rt.opts.Audit.Write(audit.Record{Event: audit.EventEgress, RequestID: rl.id, Repo: d.Repo,
		Privacy: string(d.Privacy), PrivacySource: d.PrivacySource, Provider: up.Name, Model: up.Model,
		Estimated: d.PromptTokens, Reasons: reasons})
	if err != nil {
		return &providers.Error{Provider: up.Name, Kind: providers.KindUnavailable, Message: "not sent: the egress audit log could not be written", Err: err}
	}
	return nil
}

func (rt *Router) auditResult(rl *requestLog, up *Upstream, u *chat.Usage, outcome string) {
	if up.Local || rt.opts.Audit == nil {
		return
	}
	r := audit.Record{Event: audit.EventResult, RequestID: rl.id, Provider: up.Name, Model: up.Model, Outcome: outcome}
	if u != nil {
		r.Prompt, r.Completion = u.PromptTokens, u.CompletionTokens
	}
	rt.opts.Audit.Write(r)
}

func (rt *Router) succeeded(up *Upstream, in *inbound, rl *requestLog, tried []string, w http.ResponseWriter, start time.Time) {
	up.health.success(rt.now())
	if up.Pool != "" {
		// The member has prefilled this prompt: its cache holds it now.
		if in.conv != nil {
			rt.affinity.record(in.conv, up.Name, up.SlotCount(), in.d.PromptTokens)
		} else {
			rt.affinity.forget(up.Name, up.SlotCount())
		}
	}
	rl.route = up.Name
	rl.ttfb = time.Since(start)
	if len(tried) > 0 {
		rl.fallback = strings.Join(tried, "; ")
		rl.reason = "fallback"
	}
	rt.routeHeaders(w, up, tried)
}

// routeHeaders names the provider that answers, and the fallback that led
// to it.
func (rt *Router) routeHeaders(w http.ResponseWriter, up *Upstream, tried []string) {
	h := w.Header()
	if v := h["X-Switchyard-Route"]; len(v) == 1 {
		v[0] = up.Name // setRouteHeaders' slice: no allocation
	} else {
		h.Set("X-Switchyard-Route", up.Name)
	}
	if len(tried) > 0 {
		h.Set("X-Switchyard-Fallback", strings.Join(tried, "; "))
		h.Set("X-Switchyard-Reason", "fallback")
	}
}

// failed records a provider failure against its health, unless the job
// itself caused it.
func (rt *Router) failed(up *Upstream, err error) {
	pe, ok := providers.AsError(err)
	if ok && (pe.Kind == providers.KindRequest || pe.Kind == providers.KindContextLength) {
		return
	}
	if errors.Is(err, context.Canceled) && !errors.Is(err, errFirstByte) {
		return
	}
	up.health.failure(rt.now(), failureText(up.Name, err))
}

// causeOf is a failure's kind, for metrics.
func causeOf(err error) string {
	if pe, ok := providers.AsError(err); ok {
		return pe.Kind.String()
	}
	if errors.Is(err, context.Canceled) {
		return "cancelled"
	}
	return "other"
}

func retryable(err error) bool {
	if pe, ok := providers.AsError(err); ok {
		return pe.Kind.Retryable()
	}
	return !errors.Is(err, context.Canceled)
}

func failureText(name string, err error) string {
	if pe, ok := providers.AsError(err); ok {
		if pe.Status != 0 {
			return fmt.Sprintf("%s: %s (HTTP %d): %s", name, pe.Kind, pe.Status, pe.Message)
		}
		return fmt.Sprintf("%s: %s: %s", name, pe.Kind, pe.Message)
	}
	return name + ": " + err.Error()
}

// countHandler serves a dialect's token-count endpoint: the prompt counted
// as the decision counts it (the local model's own tokenizer once it has
// one), with whether that count is exact in X-Switchyard-Tokens-Exact.
func (rt *Router) countHandler(c ingress.Counter) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rl := logOf(r)
		body, release, e := rt.readBody(w, r)
		defer release()
		if e != nil {
			rl.err = e
			writeError(w, r, e)
			return
		}
		req, err := c.DecodeCount(r, body)
		if err != nil {
			e := asAPIError(err)
			rl.err = e
			writeError(w, r, e)
			return
		}
		n, exact := 0, false
		if rt.opts.Tokens != nil {
			n, exact = rt.opts.Tokens.CountRequest(req.Chat)
		}
		rl.estimated = n
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("X-Switchyard-Estimated-Tokens", strconv.Itoa(n))
		h.Set("X-Switchyard-Tokens-Exact", strconv.FormatBool(exact))
		w.Write(c.EncodeCount(n))
	})
}

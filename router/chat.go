package router

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/policy"
	"github.com/switchyard/switchyard/providers"
	"github.com/switchyard/switchyard/router/audit"
)

// errFirstByte is the cause of a context cancelled because an upstream sent
// nothing within its first-byte timeout.
var errFirstByte = errors.New("no first byte in time")

// readBody reads the whole request body under the size limit. The body is
// read before anything is forwarded: handing the inbound body to an
// outbound request lets net/http cut the stream (golang/go#40747).
func (rt *Router) readBody(w http.ResponseWriter, r *http.Request) ([]byte, *apiError) {
	var buf bytes.Buffer
	if n := r.ContentLength; n > 0 && n <= rt.opts.MaxBodyBytes {
		// One allocation of the right size, not a megabyte grown by
		// copying (bytes.Buffer.ReadFrom wants 512 bytes spare).
		buf.Grow(int(n) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, rt.opts.MaxBodyBytes))
	body := buf.Bytes()
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, newError(http.StatusRequestEntityTooLarge, codeTooLarge,
				"the request body is larger than server.max_body_bytes (%d bytes): shorten the conversation or raise the limit", mbe.Limit)
		}
		return nil, &apiError{Status: http.StatusBadRequest, Code: codeInvalidRequest, Message: "could not read the request body", Cause: err}
	}
	return body, nil
}

// prepare reads, decodes and routes a chat request. On failure it has
// already written the error.
func (rt *Router) prepare(w http.ResponseWriter, r *http.Request) (*chat.Request, *policy.Decision, bool) {
	acc := accessOf(r)
	fail := func(e *apiError) {
		acc.reason, acc.err = e.Code, e
		setRouteHeaders(w.Header(), "none", e.Code, "", 0)
		writeError(w, e)
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.Contains(ct, "json") {
		fail(newError(http.StatusBadRequest, codeInvalidRequest, "Content-Type must be application/json, not %q", ct))
		return nil, nil, false
	}
	body, e := rt.readBody(w, r)
	if e != nil {
		fail(e)
		return nil, nil, false
	}
	req, memo, e := rt.decoder.decode(body)
	if e != nil {
		fail(e)
		return nil, nil, false
	}
	if rt.opts.LogPrompts {
		rt.log.Debug("prompt", logID, acc.id, "body", string(body))
	}
	job := rt.gather(r.Header, req, memo)
	d := policy.Decide(job, rt.policyProviders(&job), rt.opts.Settings)
	acc.reason, acc.privacy, acc.estimated = d.Code(), string(d.Privacy), d.PromptTokens
	setRouteHeaders(w.Header(), "none", d.Code(), string(d.Privacy), d.PromptTokens)
	w.Header().Set("X-Switchyard-Privacy-Source", headerText(d.PrivacySource))
	if d.PredictedLocalSeconds > 0 {
		w.Header().Set("X-Switchyard-Predicted-Local-Seconds", strconv.FormatFloat(d.PredictedLocalSeconds, 'f', 1, 64))
	}
	if d.Refusal != nil {
		e := refusalError(d.Refusal)
		acc.err = e
		writeError(w, e)
		return nil, nil, false
	}
	w.Header().Set("X-Switchyard-Plan", strings.Join(d.Plan, ","))
	return req, &d, true
}

func (rt *Router) handleChat(w http.ResponseWriter, r *http.Request) {
	req, d, ok := rt.prepare(w, r)
	if !ok {
		return
	}
	if !rt.forwardsRaw(d.Plan) {
		// Only an OpenAI-compatible upstream sends the body as it came;
		// otherwise it is garbage from here on, though the answer may take
		// minutes (a megabyte per agent, at 64 agents a quarter of the heap).
		req.Raw = nil
	}
	rt.execute(w, r, req, d)
}

// forwardsRaw reports whether an upstream in plan sends requests as they
// came (kind openai), and so needs chat.Request.Raw.
func (rt *Router) forwardsRaw(plan []string) bool {
	for _, name := range plan {
		if u := rt.byName[name]; u != nil && u.Kind == "openai" {
			return true
		}
	}
	return false
}

// attempt is one provider's answer, up to its first chunk.
type attempt struct {
	up     *Upstream
	stream providers.Stream
	first  chat.Chunk
	err    error
	cancel context.CancelCauseFunc
}

// execute runs the plan: each provider in turn until one produces a first
// chunk. Before that point a failure moves on to the next provider; after
// it, never (for a streaming client, the first chunk is the first byte it
// sees; a non-streaming client sees nothing until the answer is whole).
func (rt *Router) execute(w http.ResponseWriter, r *http.Request, req *chat.Request, d *policy.Decision) {
	acc := accessOf(r)
	start := acc.start
	var tried []string
	var lastErr error
	sse := &sseWriter{w: w, rc: http.NewResponseController(w)}
	for i, name := range d.Plan {
		up := rt.byName[name]
		if up == nil {
			continue
		}
		last := i == len(d.Plan)-1
		var at *attempt
		if up.Provider == nil {
			at = &attempt{up: up, cancel: func(error) {}, err: &providers.Error{Provider: up.Name, Kind: providers.KindUnavailable, Message: "not configured: " + up.unavailable()}}
		} else if err := rt.auditEgress(acc, up, d); err != nil {
			at = &attempt{up: up, cancel: func(error) {}, err: err}
		} else {
			keepAlive := last && req.Stream
			if keepAlive {
				// A keep-alive sends the response head: name the provider
				// now, as no other can follow it.
				rt.routeHeaders(w, up, tried)
			}
			at = rt.start(r.Context(), up, req, d, sse, keepAlive)
		}
		if at.err == nil && !req.Stream {
			// A whole answer is only whole at its end: a failure before
			// then may still fall back, since the client has seen nothing.
			var answer []byte
			var usage *chat.Usage
			answer, usage, at.err = rt.collect(at)
			if at.err == nil {
				took := time.Since(start)
				rt.succeeded(up, acc, tried, w, start)
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Content-Length", strconv.Itoa(len(answer)))
				w.WriteHeader(http.StatusOK)
				w.Write(answer)
				// The answer leaves now; the bookkeeping (usage tally,
				// model statistics, the access log) waits until the client
				// has it.
				http.NewResponseController(w).Flush()
				rt.answered(up, d, acc, usage, took, took)
				return
			}
		}
		if at.err == nil {
			rt.succeeded(up, acc, tried, w, start)
			rt.streamOut(w, r, sse, at, req, d)
			return
		}
		at.cancel(nil)
		if i < len(d.Plan)-1 {
			rt.opts.Metrics.Fallback(up.Name, causeOf(at.err))
		}
		lastErr = at.err
		tried = append(tried, failureText(up.Name, at.err))
		if r.Context().Err() == nil {
			// A client that left is nobody's failure.
			rt.failed(up, at.err)
		}
		rt.auditResult(acc, up, nil, "failed: "+failureText(up.Name, at.err))
		if sse.started || r.Context().Err() != nil || !retryable(at.err) {
			break
		}
	}
	e := upstreamError(lastErr, tried)
	acc.err = lastErr
	acc.fallback = strings.Join(tried, "; ")
	if sse.started {
		// Keep-alives already went out: the status is sent, so the error
		// travels as an event, and no [DONE] follows.
		sse.event(envelope(e))
		return
	}
	acc.reason = e.Code
	w.Header().Set("X-Switchyard-Route", "none")
	w.Header().Set("X-Switchyard-Reason", e.Code)
	if len(tried) > 0 {
		w.Header().Set("X-Switchyard-Fallback", strings.Join(tried, "; "))
	}
	writeError(w, e)
}

// start sends the job to up and waits for its first chunk, on the
// request's own goroutine (a hand-over to another goroutine costs a thread
// wake-up, which on a virtual machine is most of what a lone request
// waits for). The first-byte timeout cancels the attempt from a timer; a
// streaming client that waits gets keep-alive comments from another.
func (rt *Router) start(ctx context.Context, up *Upstream, req *chat.Request, d *policy.Decision, sse *sseWriter, keepAlive bool) *attempt {
	actx, cancel := context.WithCancelCause(ctx)
	at := &attempt{up: up, cancel: cancel}
	var timer *time.Timer
	if fbt := rt.firstByteTimeout(up, d); fbt > 0 {
		timer = time.AfterFunc(fbt, func() { cancel(errFirstByte) })
	}
	var ka *keepAliver
	if keepAlive {
		ka = startKeepAlive(sse, rt.opts.KeepAliveInterval)
	}

	st, err := up.Provider.Chat(actx, req)
	if err == nil {
		at.stream = st
		at.first, err = st.Next()
	}
	ka.stop() // no comment is written after this
	if timer != nil && !timer.Stop() || context.Cause(actx) == errFirstByte {
		// The timer fired: whatever came with it is too late.
		if at.stream != nil {
			at.stream.Close()
		}
		at.stream = nil
		at.err = &providers.Error{Provider: up.Name, Kind: providers.KindTimeout,
			Message: fmt.Sprintf("no answer within %s (first_byte_timeout)", rt.firstByteTimeout(up, d).Round(time.Second)), Err: errFirstByte}
		return at
	}
	switch {
	case err == io.EOF:
		at.stream.Close()
		at.err = &providers.Error{Provider: up.Name, Kind: providers.KindProtocol, Message: "the upstream ended its answer before sending anything"}
	case err != nil:
		if at.stream != nil {
			at.stream.Close()
		}
		at.err = err
	}
	return at
}

// keepAliver writes an SSE comment every interval until stopped.
type keepAliver struct {
	mu      sync.Mutex
	stopped bool
	t       *time.Timer
	sse     *sseWriter
	every   time.Duration
}

func startKeepAlive(sse *sseWriter, every time.Duration) *keepAliver {
	k := &keepAliver{sse: sse, every: every}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.t = time.AfterFunc(every, k.tick)
	return k
}

func (k *keepAliver) tick() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.stopped {
		return
	}
	k.sse.comment("keep-alive")
	k.t.Reset(k.every)
}

// stop returns once no comment is being written, and none will be. A nil
// keepAliver is stopped.
func (k *keepAliver) stop() {
	if k == nil {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.stopped = true
	k.t.Stop()
}

// firstByteTimeout is the provider's configured wait, or for a local
// provider without one, the predicted time plus its timeout: switchyard
// never cuts off a local job while it is predicted to finish.
func (rt *Router) firstByteTimeout(up *Upstream, d *policy.Decision) time.Duration {
	if up.FirstByteTimeout > 0 {
		return up.FirstByteTimeout
	}
	if !up.Local || up.Timeout <= 0 {
		return 0
	}
	pred := 0.0
	if up.Predict != nil {
		pred, _ = up.Predict(d.PromptTokens, 0)
	}
	return up.Timeout + time.Duration(pred*float64(time.Second))
}

// collect reads a whole answer for a non-streaming client.
func (rt *Router) collect(at *attempt) ([]byte, *chat.Usage, error) {
	defer at.stream.Close()
	var a assembler
	c := at.first
	for {
		a.add(&c)
		var err error
		c, err = at.stream.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, err
		}
	}
	return a.completion(newID("chatcmpl-"), at.up.Model, rt.now().Unix()), a.usage, nil
}

// streamOut relays the answer to a streaming client, flushing every event.
// A failure after the first byte becomes an error event with no [DONE]:
// never a cut answer that looks complete.
func (rt *Router) streamOut(w http.ResponseWriter, r *http.Request, sse *sseWriter, at *attempt, req *chat.Request, d *policy.Decision) {
	defer at.stream.Close()
	defer at.cancel(nil)
	acc := accessOf(r)
	cw := &chunkWriter{id: newID("chatcmpl-"), model: at.up.Model, created: rt.now().Unix(), includeUsage: req.IncludeUsage}
	sse.begin()
	// The first chunk leaves at once. After it, a stream that says when it
	// waits for the upstream has what it brought flushed then (chunks that
	// came together leave in one write); any other, chunk by chunk.
	send := sse.event
	if wt, ok := at.stream.(providers.Waiter); ok {
		wt.BeforeWait(func() {
			if err := sse.flush(); err != nil && acc.err == nil {
				acc.err = err
			}
		})
		defer wt.BeforeWait(nil)
	}
	var usage *chat.Usage
	var finish chat.FinishReason
	c := at.first
	for first := true; ; first = false {
		if c.Usage != nil {
			usage = c.Usage
		}
		if c.FinishReason != "" {
			finish = c.FinishReason
		}
		if b := cw.delta(&c); b != nil {
			if err := send(b); err != nil {
				acc.err = err
				return
			}
		}
		if first {
			if _, ok := at.stream.(providers.Waiter); ok {
				send = sse.write
			}
		}
		if acc.err != nil {
			return // a flush before a wait failed: the client is gone
		}
		var err error
		c, err = at.stream.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			acc.err = err
			if r.Context().Err() == nil {
				e := upstreamError(err, nil)
				e.Message = "the answer was cut off: " + e.Message
				sse.event(envelope(e))
			}
			return
		}
	}
	sse.event(cw.finish(finish))
	if req.IncludeUsage {
		sse.event(cw.usage(usage))
	}
	sse.done()
	rt.answered(at.up, d, acc, usage, acc.ttfb, time.Since(acc.start))
}

// answered records a complete answer: the provider's observer, metrics,
// the audit's result line or the local usage line, and the access line.
func (rt *Router) answered(up *Upstream, d *policy.Decision, acc *access, u *chat.Usage, ttfb, total time.Duration) {
	var usage chat.Usage
	if u != nil {
		usage = *u
		if up.Observe != nil {
			up.Observe(d.PromptTokens, usage)
		}
	}
	acc.prompt, acc.output = usage.PromptTokens, usage.CompletionTokens
	rt.opts.Metrics.Answered(up.Name, ttfb, total, usage.PromptTokens, usage.CompletionTokens)
	if up.Local {
		if rt.opts.Usage != nil {
			rt.opts.Usage.Write(audit.Record{Event: audit.EventLocal, Provider: up.Name, Model: up.Model,
				Estimated: d.PromptTokens, Prompt: usage.PromptTokens, Completion: usage.CompletionTokens})
		}
		return
	}
	rt.auditResult(acc, up, &usage, "answered")
}

// auditEgress writes the egress record before a job goes to a provider
// that is not local. If it cannot be written the job is not sent there.
func (rt *Router) auditEgress(acc *access, up *Upstream, d *policy.Decision) error {
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
	err := rt.opts.Audit.Write(audit.Record{Event: audit.EventEgress, RequestID: acc.id, Repo: d.Repo,
		Privacy: string(d.Privacy), PrivacySource: d.PrivacySource, Provider: up.Name, Model: up.Model,
		Estimated: d.PromptTokens, Reasons: reasons})
	if err != nil {
		return &providers.Error{Provider: up.Name, Kind: providers.KindUnavailable, Message: "not sent: the egress audit log could not be written", Err: err}
	}
	return nil
}

func (rt *Router) auditResult(acc *access, up *Upstream, u *chat.Usage, outcome string) {
	if up.Local || rt.opts.Audit == nil {
		return
	}
	r := audit.Record{Event: audit.EventResult, RequestID: acc.id, Provider: up.Name, Model: up.Model, Outcome: outcome}
	if u != nil {
		r.Prompt, r.Completion = u.PromptTokens, u.CompletionTokens
	}
	rt.opts.Audit.Write(r)
}

func (rt *Router) succeeded(up *Upstream, acc *access, tried []string, w http.ResponseWriter, start time.Time) {
	up.health.success(rt.now())
	acc.route = up.Name
	acc.ttfb = time.Since(start)
	if len(tried) > 0 {
		acc.fallback = strings.Join(tried, "; ")
		acc.reason = "fallback"
	}
	rt.routeHeaders(w, up, tried)
}

// routeHeaders names the provider that answers, and the fallback that led
// to it.
func (rt *Router) routeHeaders(w http.ResponseWriter, up *Upstream, tried []string) {
	h := w.Header()
	h.Set("X-Switchyard-Route", up.Name)
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

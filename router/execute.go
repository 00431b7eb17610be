package router

import (
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
	"github.com/switchyard/switchyard/ingress"
	"github.com/switchyard/switchyard/policy"
	"github.com/switchyard/switchyard/providers"
)

// errFirstByte is the cause of a context cancelled because an upstream sent
// nothing within its first-byte timeout.
var errFirstByte = errors.New("no first byte in time")

// attempt is one provider's answer, up to its first chunk.
type attempt struct {
	up     *Upstream
	ans    ingress.Answer
	stream providers.Stream
	first  chat.Chunk
	err    error
	cancel context.CancelCauseFunc
	// sent is when the request left for up, toFirst how long its first
	// chunk took from then.
	sent    time.Time
	toFirst time.Duration
}

// execute runs the plan: each provider in turn until one produces a first
// chunk. Before that point a failure moves on to the next provider; after
// it, never (for a streaming client, the first chunk is the first byte it
// sees; a non-streaming client sees nothing until the answer is whole).
func (rt *Router) execute(w http.ResponseWriter, r *http.Request, in *inbound) {
	rl := logOf(r)
	start := rl.start
	req, d := in.req.Chat, in.d
	var tried []string
	var lastErr error
	var last *attempt
	sse := &sseWriter{w: w, rc: http.NewResponseController(w)}
	// A pool member's queue holds this job from its attempt until the
	// answer ends, or the attempt fails.
	dequeue := func() {}
	defer func() { dequeue() }()
	for i, name := range d.Plan {
		up := rt.byName[name]
		if up == nil {
			continue
		}
		dequeue()
		dequeue = func() {}
		if up.Pool != "" {
			dequeue = up.queue.add(rt.ownSeconds(up, in))
		}
		var at *attempt
		if up.Provider == nil {
			at = &attempt{up: up, cancel: func(error) {}, err: &providers.Error{Provider: up.Name, Kind: providers.KindUnavailable, Message: "not configured: " + up.unavailable()}}
		} else if err := rt.auditEgress(rl, up, d); err != nil {
			at = &attempt{up: up, cancel: func(error) {}, err: err}
		} else {
			keepAlive := i == len(d.Plan)-1 && req.Stream
			if keepAlive {
				// A keep-alive sends the response head: name the provider
				// now, as no other can follow it.
				rt.routeHeaders(w, up, tried)
			}
			at = rt.start(r.Context(), up, in, sse, keepAlive)
		}
		last = at
		if at.err == nil && !req.Stream {
			// A whole answer is only whole at its end: a failure before
			// then may still fall back, since the client has seen nothing.
			var answer []byte
			var usage *chat.Usage
			answer, usage, at.err = rt.collect(at)
			if at.err == nil {
				took, engineTook := time.Since(start), time.Since(at.sent)
				rt.succeeded(up, in, rl, tried, w, start)
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Content-Length", strconv.Itoa(len(answer)))
				w.WriteHeader(http.StatusOK)
				w.Write(answer)
				// The answer leaves now; the bookkeeping (usage tally,
				// model statistics, the access log) waits until the client
				// has it.
				http.NewResponseController(w).Flush()
				rt.answered(up, d, rl, usage, took, took)
				up.timedWhole(usage, engineTook)
				return
			}
		}
		if at.err == nil {
			rt.succeeded(up, in, rl, tried, w, start)
			rt.streamOut(r, sse, at, in)
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
		rt.auditResult(rl, up, nil, "failed: "+failureText(up.Name, at.err))
		if sse.started || r.Context().Err() != nil || !retryable(at.err) {
			break
		}
	}
	e := upstreamError(lastErr, tried)
	rl.err = lastErr
	rl.fallback = strings.Join(tried, "; ")
	if sse.started {
		// Keep-alives already went out: the status is sent, so the error
		// travels as the dialect's failure event, and no successful end
		// follows.
		ans := last.ans
		if ans == nil {
			ans = in.dl.NewAnswer(in.req, ingress.AnswerInfo{Model: last.up.Model, Created: rt.now(), PromptTokens: d.PromptTokens})
		}
		sse.event(ans.Fail(e))
		return
	}
	rl.reason = e.Code
	w.Header().Set("X-Switchyard-Route", "none")
	w.Header().Set("X-Switchyard-Reason", e.Code)
	if len(tried) > 0 {
		w.Header().Set("X-Switchyard-Fallback", strings.Join(tried, "; "))
	}
	writeError(w, r, e)
}

// start sends the job to up and waits for its first chunk, on the
// request's own goroutine (a hand-over to another goroutine costs a thread
// wake-up, which on a virtual machine is most of what a lone request
// waits for). The first-byte timeout cancels the attempt from a timer; a
// streaming client that waits gets keep-alives from another.
func (rt *Router) start(ctx context.Context, up *Upstream, in *inbound, sse *sseWriter, keepAlive bool) *attempt {
	actx, cancel := context.WithCancelCause(ctx)
	at := &attempt{up: up, cancel: cancel, ans: in.dl.NewAnswer(in.req,
		ingress.AnswerInfo{Model: up.Model, Created: rt.now(), PromptTokens: in.d.PromptTokens})}
	var timer *time.Timer
	if fbt := rt.firstByteTimeout(up, in); fbt > 0 {
		timer = time.AfterFunc(fbt, func() { cancel(errFirstByte) })
	}
	if t, ok := at.ans.(ingress.StreamTyper); ok {
		sse.contentType = t.StreamContentType()
	}
	var ka *keepAliver
	if keepAlive {
		ka = startKeepAlive(sse, at.ans, rt.opts.KeepAliveInterval)
	}

	at.sent = time.Now()
	st, err := rt.send(actx, up, in)
	if err == nil {
		at.stream = st
		at.first, err = st.Next()
	}
	at.toFirst = time.Since(at.sent)
	ka.stop() // no keep-alive is written after this
	if timer != nil && !timer.Stop() || context.Cause(actx) == errFirstByte {
		// The timer fired: whatever came with it is too late.
		if at.stream != nil {
			at.stream.Close()
		}
		at.stream = nil
		at.err = &providers.Error{Provider: up.Name, Kind: providers.KindTimeout,
			Message: fmt.Sprintf("no answer within %s (first_byte_timeout)", rt.firstByteTimeout(up, in).Round(time.Second)), Err: errFirstByte}
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

// send hands the job to up: as it came, when up forwards requests of the
// job's dialect unchanged, else in switchyard's own form.
func (rt *Router) send(ctx context.Context, up *Upstream, in *inbound) (providers.Stream, error) {
	if f, ok := up.Provider.(providers.Forwarder); ok && in.body != nil {
		if st, ok, err := f.Forward(ctx, in.req.Chat, providers.Origin{Dialect: in.dl.Name(), Body: in.body}); ok {
			return st, err
		}
	}
	return up.Provider.Chat(ctx, in.req.Chat)
}

// keepAliver writes the answer's keep-alive every interval until stopped.
type keepAliver struct {
	mu      sync.Mutex
	stopped bool
	t       *time.Timer
	sse     *sseWriter
	ans     ingress.Answer
	every   time.Duration
}

func startKeepAlive(sse *sseWriter, ans ingress.Answer, every time.Duration) *keepAliver {
	k := &keepAliver{sse: sse, ans: ans, every: every}
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
	k.sse.event(k.ans.KeepAlive())
	k.t.Reset(k.every)
}

// stop returns once no keep-alive is being written, and none will be: the
// answer is the request goroutine's alone again. A nil keepAliver is
// stopped.
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
// provider without one, the time the decision predicted for it plus its
// timeout: switchyard never cuts off a local job while it is predicted to
// finish.
func (rt *Router) firstByteTimeout(up *Upstream, in *inbound) time.Duration {
	if up.FirstByteTimeout > 0 {
		return up.FirstByteTimeout
	}
	if !up.Local || up.SlowAfter <= 0 {
		return 0
	}
	pred := 0.0
	for i, name := range in.d.Plan {
		if name == up.Name {
			pred = in.d.PlanSeconds[i]
		}
	}
	if up.Pool != "" && up.Predict != nil {
		// A pool member's prediction counts the prefix it is taken to
		// hold; should it hold none after all, the whole prefill is still
		// within the wait.
		if full, ok := up.Predict(in.d.PromptTokens, askedOutput(in.d)); ok {
			pred = max(pred, full+up.queue.seconds())
		}
	}
	return up.SlowAfter + time.Duration(pred*float64(time.Second))
}

// ownSeconds is the predicted time of in's job itself on pool member up:
// what its queue holds for it while it runs. The plan's figure also
// counts the jobs queued before it, which are in the queue already.
func (rt *Router) ownSeconds(up *Upstream, in *inbound) float64 {
	if up.Predict == nil {
		return 0
	}
	prefill := in.d.PromptTokens - min(rt.affinity.cached(in.conv, up.Name), in.d.PromptTokens)
	s, _ := up.Predict(prefill, askedOutput(in.d))
	return s
}

// askedOutput is the output budget the job asked for, 0 for none (Predict
// then assumes a typical answer).
func askedOutput(d *policy.Decision) int {
	if d.OutputDefaulted {
		return 0
	}
	return d.OutputTokens
}

// collect reads a whole answer for a non-streaming client.
func (rt *Router) collect(at *attempt) ([]byte, *chat.Usage, error) {
	defer at.stream.Close()
	var a ingress.Assembler
	c := at.first
	for {
		a.Add(&c)
		var err error
		c, err = at.stream.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, err
		}
	}
	return at.ans.Whole(a.Answer()), a.Usage(), nil
}

// streamOut relays the answer to a streaming client, flushing every event.
// A failure after the first byte becomes the dialect's failure event with
// no successful end: never a cut answer that looks complete.
func (rt *Router) streamOut(r *http.Request, sse *sseWriter, at *attempt, in *inbound) {
	defer at.stream.Close()
	defer at.cancel(nil)
	rl := logOf(r)
	sse.begin()
	// The first chunk leaves at once. After it, a stream that says when it
	// waits for the upstream has what it brought flushed then (chunks that
	// came together leave in one write); any other, chunk by chunk.
	send := sse.event
	if wt, ok := at.stream.(providers.Waiter); ok {
		wt.BeforeWait(func() {
			if err := sse.flush(); err != nil && rl.err == nil {
				rl.err = err
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
		if b := at.ans.Chunk(&c); b != nil {
			if err := send(b); err != nil {
				rl.err = err
				return
			}
		}
		if first {
			if _, ok := at.stream.(providers.Waiter); ok {
				send = sse.write
			}
		}
		if rl.err != nil {
			return // a flush before a wait failed: the client is gone
		}
		var err error
		c, err = at.stream.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			rl.err = err
			if r.Context().Err() == nil {
				e := upstreamError(err, nil)
				e.Message = "the answer was cut off: " + e.Message
				sse.event(at.ans.Fail(e))
			}
			return
		}
	}
	sse.event(at.ans.End(finish, usage))
	if at.up.Timed != nil {
		u := chat.Usage{PromptTokens: in.d.PromptTokens}
		if usage != nil {
			u = *usage
		}
		at.up.Timed(u, at.toFirst, time.Since(at.sent))
	}
	rt.answered(at.up, in.d, rl, usage, rl.ttfb, time.Since(rl.start))
}

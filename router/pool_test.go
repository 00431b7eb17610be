package router

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard/policy"
	"github.com/switchyard/switchyard/providers"
	"github.com/switchyard/switchyard/router/metrics"
)

// poolRig is the rig with a second local engine, spark, pooled with local
// as "office", beside the clouds. local prefills at 100 tokens/s, spark at
// 200; both decode at 50.
func poolRig(t *testing.T, mod func(*Options)) (*rig, *scripted) {
	t.Helper()
	spark := &scripted{name: "spark", chunks: textReply("from ", "spark")}
	g := newRig(t, func(o *Options) {
		o.Upstreams[0].Pool = "office"
		o.Upstreams[0].Predict = func(p, out int) (float64, bool) { return float64(p)/100 + 1, true }
		o.Upstreams = append(o.Upstreams[:1], append([]*Upstream{{Name: "spark", Kind: "ollama", Model: "qwen3-coder:30b", Local: true,
			Provider: spark, ContextWindow: 262144, SlowAfter: 5 * time.Minute, Pool: "office",
			Predict: func(p, out int) (float64, bool) { return float64(p)/200 + 1, true }}}, o.Upstreams[1:]...)...)
		if mod != nil {
			mod(o)
		}
	})
	return g, spark
}

// routeOf posts an OpenAI chat body and returns where it went and the
// plan, once the request's bookkeeping is done.
func (g *rig) routeOf(t *testing.T, body string) (route, plan string) {
	t.Helper()
	resp := g.post(t, "/v1/chat/completions", body, nil)
	io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	g.settle(t)
	return resp.Header.Get("X-Switchyard-Route"), resp.Header.Get("X-Switchyard-Plan")
}

// conversationBody is an OpenAI chat body of a conversation: a system
// prompt, a first user message of size bytes and the turns after it.
func conversationBody(size int, turns ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `{"messages":[{"role":"system","content":"You are a coding agent."},{"role":"user","content":%q}`, strings.Repeat("read main.go ", size/13))
	for i, t := range turns {
		role := "assistant"
		if i%2 == 1 {
			role = "user"
		}
		fmt.Fprintf(&b, `,{"role":%q,"content":%q}`, role, t)
	}
	b.WriteString("]}")
	return b.String()
}

// TestPoolAffinity: the member that served a conversation is preferred on
// its next turn, having the prefix in its cache, even though the other
// member prefills twice as fast; once it has served another conversation
// its cache is taken to hold that one instead, and the quicker member
// wins again.
func TestPoolAffinity(t *testing.T) {
	g, spark := poolRig(t, nil)
	route := func(body string) (string, string) { t.Helper(); return g.routeOf(t, body) }
	const size = 40000 // ~10,000 tokens: 101 s on local, 51 s on spark

	// Turn one: spark is down, so local serves it.
	spark.failBefore = &providers.Error{Provider: "spark", Kind: providers.KindUnavailable, Message: "connection refused"}
	if r, plan := route(conversationBody(size)); r != "local" || plan != "spark,local" {
		t.Fatalf("turn one went to %s (plan %s), want local after spark failed", r, plan)
	}
	spark.failBefore = nil
	// Turn two adds two short messages: local holds the rest, so it
	// prefills ~10 tokens and is predicted quicker than spark's 51 s.
	turn2 := conversationBody(size, "I will read it.", "Now fix the test.")
	ex, err := g.rt.Explain(http.Header{}, []byte(turn2))
	if err != nil {
		t.Fatal(err)
	}
	if ex.Plan[0] != "local" || !hasReason(ex.Reasons, "pool_quickest", "local served this conversation before") {
		t.Fatalf("turn two: plan %v, reasons %v", ex.Plan, ex.Reasons)
	}
	if r, _ := route(turn2); r != "local" {
		t.Fatalf("turn two went to %s, want local, which holds the conversation", r)
	}
	// Another conversation on local takes its cache.
	if r, _ := route(`{"model":"local","messages":[{"role":"user","content":"something else"}]}`); r != "local" {
		t.Fatalf("the pinned job went to %s", r)
	}
	turn3 := conversationBody(size, "I will read it.", "Now fix the test.", "Done.", "Thanks; now the docs.")
	if r, _ := route(turn3); r != "spark" {
		t.Fatalf("turn three went to %s, want spark: local's cache holds another conversation now", r)
	}
	// And spark, having served it, keeps it.
	ex, _ = g.rt.Explain(http.Header{}, []byte(conversationBody(size, "I will read it.", "Now fix the test.", "Done.", "Thanks; now the docs.", "Docs done.", "Commit.")))
	if ex.Plan[0] != "spark" || !hasReason(ex.Reasons, "pool_quickest", "in its cache") {
		t.Fatalf("turn four: plan %v, reasons %v", ex.Plan, ex.Reasons)
	}
}

// TestPoolSlots: a member whose engine keeps two conversations (slots: 2)
// still holds one after serving another, and loses it, the least recently
// used, to a second other.
func TestPoolSlots(t *testing.T) {
	g, spark := poolRig(t, func(o *Options) { o.Upstreams[0].Slots = 2 })
	route := func(body string) string {
		t.Helper()
		r, _ := g.routeOf(t, body)
		return r
	}
	const size = 40000
	spark.failBefore = &providers.Error{Provider: "spark", Kind: providers.KindUnavailable, Message: "connection refused"}
	if r := route(conversationBody(size)); r != "local" {
		t.Fatalf("turn one went to %s", r)
	}
	spark.failBefore = nil
	other := func(i int) string {
		return fmt.Sprintf(`{"model":"local","messages":[{"role":"user","content":"something else %d"}]}`, i)
	}
	route(other(1)) // one slot for it, one still for the conversation
	turns := []string{"I will read it.", "Now fix the test."}
	if r := route(conversationBody(size, turns...)); r != "local" {
		t.Fatalf("turn two went to %s, want local: its second slot holds the conversation", r)
	}
	route(other(2))
	route(other(3)) // both slots taken since the conversation's turn
	turns = append(turns, "Done.", "Thanks; now the docs.")
	if r := route(conversationBody(size, turns...)); r != "spark" {
		t.Fatalf("turn three went to %s, want spark: local's slots hold two other requests", r)
	}
}

// TestPoolQueueMovesJobs: a member's predicted time counts the jobs it is
// running, so a long job on one sends the next to the other.
func TestPoolQueueMovesJobs(t *testing.T) {
	m := metrics.New()
	g, _ := poolRig(t, func(o *Options) {
		o.Upstreams[0].Predict = o.Upstreams[1].Predict // both 200 tokens/s
		o.Metrics = m
		for _, u := range o.Upstreams[:2] {
			m.Local(u.Name, func() float64 { return 0 }, func() int { return u.ContextWindow }, u.QueuedSeconds)
		}
	})
	body := conversationBody(40000)
	ex, _ := g.rt.Explain(http.Header{}, []byte(body))
	if ex.Plan[0] != "local" {
		t.Fatalf("plan %v: with equal predictions the configured order holds", ex.Plan)
	}
	// A long job running on local: its queue makes spark quicker.
	done := g.rt.byName["local"].queue.add(120)
	ex, _ = g.rt.Explain(http.Header{}, []byte(body))
	if ex.Plan[0] != "spark" || !hasReason(ex.Reasons, "pool_quickest", "spark is predicted quickest") {
		t.Fatalf("with 120 s queued on local: plan %v, reasons %v", ex.Plan, ex.Reasons)
	}
	resp, err := http.Get(g.srv.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if body, _ := io.ReadAll(resp.Body); !strings.Contains(string(body), `"name":"local"`) || !strings.Contains(string(body), `"pool":"office","queued_seconds":120`) {
		t.Errorf("/readyz does not show local's pool and queue: %s", body)
	}
	mr, err := http.Get(g.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer mr.Body.Close()
	if body, _ := io.ReadAll(mr.Body); !strings.Contains(string(body), `switchyard_local_queued_seconds{provider="local"} 120`) ||
		!strings.Contains(string(body), `switchyard_local_queued_seconds{provider="spark"} 0`) {
		t.Errorf("/metrics does not show each member's queue:\n%s", body)
	}
	done()
	done() // once only
	if q := g.rt.byName["local"].queue.seconds(); q != 0 {
		t.Fatalf("queue %v s after the job ended", q)
	}
}

// TestPoolPrivateFallsBackInPool: a private job whose member fails before
// the first byte goes to the other member, never to a cloud; with both
// down it fails, in the caller's dialect.
func TestPoolPrivateFallsBackInPool(t *testing.T) {
	g, spark := poolRig(t, nil)
	spark.failBefore = &providers.Error{Provider: "spark", Kind: providers.KindUnavailable, Message: "connection refused"}
	resp := g.post(t, "/v1/chat/completions", conversationBody(400), nil)
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("X-Switchyard-Route") != "local" || !strings.Contains(resp.Header.Get("X-Switchyard-Fallback"), "spark: unavailable") {
		t.Fatalf("status %d route %q fallback %q: %s", resp.StatusCode, resp.Header.Get("X-Switchyard-Route"), resp.Header.Get("X-Switchyard-Fallback"), body)
	}
	g.local.failBefore = &providers.Error{Provider: "local", Kind: providers.KindUnavailable, Message: "connection refused"}
	resp = g.post(t, "/v1/messages", `{"model":"auto","max_tokens":100,"messages":[{"role":"user","content":"x"}]}`, nil)
	body, _ = io.ReadAll(resp.Body)
	// Anthropic's word for every provider failing is 529 overloaded_error.
	if resp.StatusCode != 529 || !strings.Contains(string(body), `"type":"error"`) || !strings.Contains(string(body), "spark: unavailable") {
		t.Fatalf("both down: status %d %s", resp.StatusCode, body)
	}
	g.settle(t)
	if n := g.devstral.requests() + g.gemini.requests(); n != 0 {
		t.Fatalf("a private job reached a cloud provider (%d requests)", n)
	}
}

// hasReason reports whether one of an explanation's reasons ("code:
// text") has code and says text.
func hasReason(rs []string, code, text string) bool {
	for _, r := range rs {
		if strings.HasPrefix(r, code+": ") && strings.Contains(r, text) {
			return true
		}
	}
	return false
}

// TestConversationChain: two turns of a conversation share their chain as
// far as their messages agree, whatever else of the request changed (the
// model asked for, the output budget, stream); tools or a system prompt
// that changed begin another prompt, which no cache holds.
func TestConversationChain(t *testing.T) {
	g, _ := poolRig(t, nil)
	dl, _ := g.rt.dialectNamed("")
	chain := func(body string) []uint64 {
		t.Helper()
		r, _ := http.NewRequest(http.MethodPost, "/v1/chat/completions", nil)
		_, memo, err := g.rt.decoder.decode(dl, r, []byte(body))
		if err != nil || memo == nil {
			t.Fatalf("%s: memo %v, %v", body, memo, err)
		}
		return memo.chain
	}
	const sys, u1 = `{"role":"system","content":"You are a coding agent."}`, `{"role":"user","content":"fix the test"}`
	const more = `{"role":"assistant","content":"done"},{"role":"user","content":"thanks"}`
	const tools = `"tools":[{"type":"function","function":{"name":"read","parameters":{"type":"object"}}}]`
	first := chain(`{"model":"auto","max_tokens":5,"messages":[` + sys + `,` + u1 + `]}`)
	next := chain(`{"model":"spark","stream":true,"messages":[` + sys + `,` + u1 + `,` + more + `]}`)
	if len(first) != 2 || len(next) != 4 || first[1] != next[1] || next[2] == next[1] {
		t.Fatalf("first %x, next %x: the turns should share two links", first, next)
	}
	withTools := chain(`{"model":"auto",` + tools + `,"messages":[` + sys + `,` + u1 + `]}`)
	otherSystem := chain(`{"model":"auto","messages":[{"role":"system","content":"You are terse."},` + u1 + `]}`)
	if withTools[0] == first[0] || otherSystem[0] == first[0] || otherSystem[1] == first[1] {
		t.Errorf("a different prompt shares the chain: %x %x %x", first, withTools, otherSystem)
	}
}

// TestPoolFirstByteWaitsForTheWholePrefill: a member credited with the
// conversation's prefix is predicted quick, but should its cache hold
// nothing after all it must not be cut off before the whole prefill's
// predicted time: its first-byte wait counts the prompt whole.
func TestPoolFirstByteWaitsForTheWholePrefill(t *testing.T) {
	g, spark := poolRig(t, func(o *Options) {
		o.Upstreams[0].SlowAfter = 200 * time.Millisecond
		o.Upstreams[0].Predict = func(p, out int) (float64, bool) { return float64(p) / 4000, true }
	})
	first := conversationBody(4000)
	resp := g.post(t, "/v1/chat/completions", strings.Replace(first, `{"messages"`, `{"model":"local","messages"`, 1), nil)
	io.ReadAll(resp.Body)
	g.settle(t)
	g.local.delay = 350 * time.Millisecond // over slow_after + the credited prediction
	resp = g.post(t, "/v1/chat/completions", conversationBody(4000, "ok", "next"), nil)
	io.ReadAll(resp.Body)
	if got := resp.Header.Get("X-Switchyard-Route"); got != "local" || spark.requests() != 0 {
		t.Fatalf("route %s (fallback %q): the credited member was cut off before its whole prefill", got, resp.Header.Get("X-Switchyard-Fallback"))
	}
}

// TestPoolQueueHoldsEachJobOnce: the queue a job adds to is its own
// predicted time, not the time it was predicted to wait behind the others
// as well, so jobs on one member add up to the sum of their own times.
func TestPoolQueueHoldsEachJobOnce(t *testing.T) {
	g, _ := poolRig(t, nil)
	local := g.rt.byName["local"]
	g.local.delay = time.Hour // each job is held until its client leaves
	ctx, cancel := context.WithCancel(t.Context())
	body := `{"model":"local","max_tokens":100,"messages":[{"role":"user","content":"` + strings.Repeat("a", 3980) + `"}]}`
	// Each job: (3980/4 + 5 + 3) tokens at 100 per second, plus 1 s.
	own := float64(3980/4+5+3)/100 + 1
	var wg sync.WaitGroup
	for n := 1; n <= 3; n++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequestWithContext(ctx, "POST", g.srv.URL+"/v1/chat/completions", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}()
		// One at a time: each is decided with the ones before it queued.
		for deadline := time.Now().Add(5 * time.Second); local.QueuedSeconds() < float64(n)*own-0.01 && time.Now().Before(deadline); {
			time.Sleep(2 * time.Millisecond)
		}
		if q := local.QueuedSeconds(); q < float64(n)*own-0.01 || q > float64(n)*own+0.01 {
			t.Errorf("%d jobs queued %.2f s on local, want their own %.2f s", n, q, float64(n)*own)
		}
	}
	cancel()
	wg.Wait()
	g.settle(t)
	if q := local.QueuedSeconds(); q != 0 {
		t.Errorf("%.2f s queued after every job ended", q)
	}
}

// TestPoolEngineLoadMovesJobs: two members equal but for what their
// engines say: one with three requests of other clients waiting loses the
// job to the other; the decision names them and /readyz shows what the
// engine said. Switchyard's own jobs on an engine are not taken for
// other clients'.
func TestPoolEngineLoadMovesJobs(t *testing.T) {
	var localLoad struct {
		sync.Mutex
		running, waiting int
		ok               bool
	}
	setLoad := func(running, waiting int) {
		localLoad.Lock()
		localLoad.running, localLoad.waiting, localLoad.ok = running, waiting, true
		localLoad.Unlock()
	}
	g, spark := poolRig(t, func(o *Options) {
		o.Upstreams[0].Predict = o.Upstreams[1].Predict // both 200 tokens/s
		o.Upstreams[0].Load = func() (int, int, bool) {
			localLoad.Lock()
			defer localLoad.Unlock()
			return localLoad.running, localLoad.waiting, localLoad.ok
		}
	})
	body := conversationBody(40000) // ~10,000 tokens: 51 s on either
	ex, _ := g.rt.Explain(http.Header{}, []byte(body))
	if ex.Plan[0] != "local" {
		t.Fatalf("plan %v: with the load unknown the configured order holds", ex.Plan)
	}
	setLoad(0, 3)
	ex, _ = g.rt.Explain(http.Header{}, []byte(body))
	if ex.Plan[0] != "spark" || ex.Plan[1] != "local" {
		t.Fatalf("with 3 requests waiting on local's engine: plan %v, reasons %v", ex.Plan, ex.Reasons)
	}
	resp := g.post(t, "/v1/chat/completions", body, nil)
	io.ReadAll(resp.Body)
	if r := resp.Header.Get("X-Switchyard-Route"); r != "spark" || spark.requests() != 1 {
		t.Fatalf("the job went to %s, want spark", r)
	}
	g.settle(t)
	rz, err := http.Get(g.srv.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rz.Body)
	rz.Body.Close()
	if !strings.Contains(string(b), `"pool":"office","engine_running":0,"engine_waiting":3`) || strings.Count(string(b), "engine_running") != 1 {
		t.Errorf("/readyz does not show local's engine load (and only local's): %s", b)
	}

	// Spark busier still: local is chosen, and the reason says why it
	// takes longer than its own prefill.
	done := g.rt.byName["spark"].queue.add(500)
	ex, _ = g.rt.Explain(http.Header{}, []byte(body))
	if ex.Plan[0] != "local" || !hasReason(ex.Reasons, "pool_quickest", "behind 3 requests of other clients its engine says it has") {
		t.Fatalf("with spark 500 s queued: plan %v, reasons %v", ex.Plan, ex.Reasons)
	}
	done()

	// One job of switchyard's own on each member, and local's engine
	// counting that one: nothing foreign, the configured order again (for
	// another conversation: spark holds this one now).
	body = conversationBody(40013)
	doneLocal := g.rt.byName["local"].queue.add(10)
	doneSpark := g.rt.byName["spark"].queue.add(10)
	defer doneLocal()
	defer doneSpark()
	setLoad(1, 0)
	ex, _ = g.rt.Explain(http.Header{}, []byte(body))
	if ex.Plan[0] != "local" || hasReason(ex.Reasons, "pool_quickest", "other clients") {
		t.Fatalf("local's engine counting only switchyard's job: plan %v, reasons %v", ex.Plan, ex.Reasons)
	}
	setLoad(2, 0)
	if ex, _ = g.rt.Explain(http.Header{}, []byte(body)); ex.Plan[0] != "spark" {
		t.Fatalf("local's engine running one request beside switchyard's: plan %v", ex.Plan)
	}
}

// TestPoolWaitCountsSlots: a member's wait behind the work ahead of a job
// (switchyard's queued jobs and the other clients' requests its engine
// says it has) counts its engine's slots: the job waits only when every
// slot is busy, then for the work ahead to drain a slot's worth at a time;
// a one-slot engine runs everything ahead one after another. Each job is
// predicted at 10 s on local, each of switchyard's queued ones at 5 s.
func TestPoolWaitCountsSlots(t *testing.T) {
	for _, tc := range []struct {
		name                      string
		slots, own, running, wait int
		// want is local's predicted seconds, queued and foreign its
		// parts spent waiting for switchyard's jobs and others'.
		want, queued, foreign float64
		// reason is in the decision's reason, when set.
		reason string
	}{
		{name: "one-slot-two-foreign", slots: 1, running: 2, want: 30, foreign: 20},
		{name: "unset-slots-are-one", slots: 0, running: 2, want: 30, foreign: 20},
		{name: "four-slots-two-foreign", slots: 4, running: 2, want: 10, reason: "a slot free beside 2 requests of other clients"},
		{name: "four-slots-all-busy", slots: 4, running: 2, wait: 2, want: 20, foreign: 10},
		{name: "two-slots-three-foreign", slots: 2, running: 2, wait: 1, want: 20, foreign: 10},
		{name: "two-slots-four-foreign", slots: 2, running: 2, wait: 2, want: 30, foreign: 20},
		{name: "one-slot-own-queue", slots: 1, own: 2, running: 2, want: 20, queued: 10},
		{name: "four-slots-own-queue", slots: 4, own: 3, running: 3, want: 10},
		{name: "four-slots-own-and-foreign", slots: 4, own: 2, running: 4, want: 17.5, queued: 2.5, foreign: 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, _ := poolRig(t, func(o *Options) {
				o.Upstreams[0].Slots = tc.slots
				o.Upstreams[0].Predict = func(p, out int) (float64, bool) { return 10, true }
				o.Upstreams[0].Load = func() (int, int, bool) { return tc.running, tc.wait, true }
				o.Upstreams[1].Predict = func(p, out int) (float64, bool) { return 15, true }
			})
			local := g.rt.byName["local"]
			for range tc.own {
				defer local.queue.add(5)()
			}
			job := policy.Job{Privacy: policy.Private, PromptTokens: 1000}
			p := g.rt.candidates(t.Context(), &job, nil, nil)[0]
			if p.Name != "local" || !near(p.PredictedSeconds, tc.want) || !near(p.QueuedSeconds, tc.queued) || !near(p.ForeignSeconds, tc.foreign) {
				t.Fatalf("%s predicted %.2f s (queued %.2f, foreign %.2f), want %.2f (%.2f, %.2f)",
					p.Name, p.PredictedSeconds, p.QueuedSeconds, p.ForeignSeconds, tc.want, tc.queued, tc.foreign)
			}
			// spark, idle at 15 s, is chosen exactly when local waits.
			ex, _ := g.rt.Explain(http.Header{}, []byte(`{"messages":[{"role":"user","content":"hi"}]}`))
			if first := ex.Plan[0]; (first == "local") != (tc.want < 15) || tc.reason != "" && !hasReason(ex.Reasons, "pool_quickest", tc.reason) {
				t.Fatalf("plan %v, reasons %v", ex.Plan, ex.Reasons)
			}
		})
	}
}

func near(a, b float64) bool { return a-b < 0.001 && b-a < 0.001 }

package router

import (
	"context"
	"sync"
	"time"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/policy/limits"
	"github.com/switchyard/switchyard/providers"
)

// Upstream is one configured provider as the router sees it. The wiring in
// cmd fills it; the zero values of the optional fields are usable.
type Upstream struct {
	Name  string
	Kind  string
	Model string
	// Local is true when the provider's data stays on this machine.
	Local    bool
	Provider providers.Provider
	// ContextWindow is the configured window in tokens. Window, when set,
	// overrides it with what the provider discovered (the window switchyard
	// uses, and the model's native one).
	ContextWindow int
	Window        func() (use, native int)
	// DefinitionWindow, when set, is the window the model's own definition
	// states (Ollama's Modelfile num_ctx; 0 when it states none), which
	// switchyard overrides with Window's; /readyz shows it beside the one in
	// use.
	DefinitionWindow func() int
	// Unavailable, when non-empty, says why the provider cannot be used
	// (its API key is missing); routing skips it.
	Unavailable string
	// Check, when set, says why the provider cannot be used right now ("" if
	// it can): a local model whose server has not answered yet. It is asked
	// once per job and must be quick.
	Check func() string
	// FirstByteTimeout bounds the wait for the first chunk; 0 = for a local
	// provider, the predicted time plus SlowAfter; for a cloud one, none.
	FirstByteTimeout time.Duration
	// SlowAfter is how long a local job may take before it counts as too
	// slow: a public job predicted to take longer goes to the cloud first.
	// It cuts nothing off.
	SlowAfter time.Duration
	// Predict returns the predicted seconds for a job of this size (output
	// 0: the client set no budget, assume a typical answer), and whether
	// the provider can predict at all.
	Predict func(promptTokens, outputTokens int) (float64, bool)
	// TokenFactor scales switchyard's token estimate to this provider's
	// tokenizer (learned from reported usage); nil = 1.
	TokenFactor func() float64
	// CountPrompt, when set, asks the provider's engine how many tokens a
	// request's prompt is to it; the router asks only when the estimate
	// comes near the window, within a deadline, and keeps the estimate on
	// an error.
	CountPrompt func(ctx context.Context, req *chat.Request) (int, error)
	// Observe is told, after every complete reply, the estimate that was
	// made and the usage the provider reported.
	Observe func(estimatedPrompt int, u chat.Usage)
	// Timed is told, after a streamed reply that ended well, its usage
	// (the prompt as switchyard counted it, when the provider reported
	// none), how long its first chunk took from when the request was sent (the
	// prefill, and any queue at the engine), and how long the whole reply
	// took: how a provider that times nothing itself is learnt. After a
	// whole reply it is told only when the usage times the prefill
	// (PromptDuration, llama.cpp's timings), with firstChunk 0: that
	// reply's first chunk is all of it, which says nothing of the split.
	Timed func(u chat.Usage, firstChunk, total time.Duration)
	// PrefillSpeed reports the measured prefill speed in tokens/s, for
	// /readyz; nil when the provider does not measure it.
	PrefillSpeed func() float64
	// Speed is the speed model Predict uses, when the provider learns one
	// (a local Ollama): the status page draws its observations and its
	// prediction.
	Speed *limits.Speed
	// Pool names the local pool the provider is a member of ("" for
	// none), AffinityMargin that pool's (policy.Candidate). A member's
	// prediction counts what it holds of the conversation and what it has
	// queued.
	Pool           string
	AffinityMargin float64
	// Slots is how many requests the member's engine runs side by side,
	// and so how many conversations it keeps cached, at once (0: one):
	// a job there waits only when every slot is busy (chargeWait).
	Slots int
	// EngineSlots, when set, is how many slots the engine says it has (0
	// while it has not said): what counts when Slots is 0, the
	// configuration having said none.
	EngineSlots func() int
	// Load, when set, is how many requests the engine says it is running
	// and has waiting, every client's, and whether it says (ok false:
	// unknown). It must not do I/O: it is asked once per job per member.
	// For a pool member, requests beyond the jobs switchyard has there
	// are other clients' and are charged to its prediction.
	Load func() (running, waiting int, ok bool)

	health health
	queue  queue
}

// QueuedSeconds is the predicted time of the jobs the provider is running,
// for a pool member (0 for others: only a pool's members are charged).
func (u *Upstream) QueuedSeconds() float64 { return u.queue.seconds() }

// SlotCount is how many requests u's engine runs side by side: the
// configuration's Slots, else what the engine says, else 1.
func (u *Upstream) SlotCount() int {
	if u.Slots > 0 {
		return u.Slots
	}
	if u.EngineSlots != nil {
		if n := u.EngineSlots(); n > 0 {
			return n
		}
	}
	return 1
}

// timedWhole tells Timed of a whole reply that ended well, total after
// it was sent, when its usage says how long the engine took to prefill:
// without that, a whole reply's time is prefill and decoding together.
func (u *Upstream) timedWhole(usage *chat.Usage, total time.Duration) {
	if u.Timed == nil || usage == nil || usage.PromptDuration <= 0 {
		return
	}
	u.Timed(*usage, 0, total)
}

// unavailable says why the provider cannot take a job now, or "".
func (u *Upstream) unavailable() string {
	if u.Unavailable != "" {
		return u.Unavailable
	}
	if u.Check != nil {
		return u.Check()
	}
	return ""
}

// window returns the window in use and the native one.
func (u *Upstream) window() (int, int) {
	if u.Window != nil {
		return u.Window()
	}
	return u.ContextWindow, u.ContextWindow
}

// Health thresholds: this many consecutive failures start a cool-down,
// which doubles on each new failure up to the maximum.
const (
	failuresToCool = 3
	coolDownMin    = 30 * time.Second
	coolDownMax    = 5 * time.Minute
)

// health tracks an upstream's recent failures. After failuresToCool in a row
// it is skipped until the cool-down ends; the next job then probes it, and
// one success clears the record.
type health struct {
	mu        sync.Mutex
	fails     int
	coolUntil time.Time
	cool      time.Duration
	lastError string
	lastOK    time.Time
}

func (h *health) coolingDown(now time.Time) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return now.Before(h.coolUntil)
}

func (h *health) failure(now time.Time, why string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.fails++
	h.lastError = why
	if h.fails >= failuresToCool {
		if h.cool == 0 {
			h.cool = coolDownMin
		} else {
			h.cool = min(h.cool*2, coolDownMax)
		}
		h.coolUntil = now.Add(h.cool)
	}
}

func (h *health) success(now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.fails, h.cool, h.coolUntil, h.lastOK = 0, 0, time.Time{}, now
}

type healthState struct {
	State     string    `json:"state"`
	Failures  int       `json:"consecutive_failures"`
	CoolUntil time.Time `json:"cooling_down_until,omitzero"`
	LastError string    `json:"last_error,omitempty"`
	LastOK    time.Time `json:"last_success,omitzero"`
}

func (h *health) state(now time.Time) healthState {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := healthState{State: "ok", Failures: h.fails, LastError: h.lastError, LastOK: h.lastOK}
	switch {
	case now.Before(h.coolUntil):
		s.State, s.CoolUntil = "cooling_down", h.coolUntil
	case h.fails > 0:
		s.State = "degraded"
	}
	return s
}

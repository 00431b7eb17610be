package ollama

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/policy/limits"
	"github.com/switchyard/switchyard/policy/tokenize"
)

// LocalOptions configure a Local.
type LocalOptions struct {
	// Options are the Provider's. MaxWindow and Observe are Local's own:
	// any set here are ignored.
	Options
	// Memory is what the model may use, in bytes (weights and KV cache);
	// 0 means unknown, and no window is capped for memory.
	Memory int64
	// KVCacheType is the KV cache's element type on the Ollama server
	// ("f16", "q8_0", "q4_0"; "" is f16).
	KVCacheType string
	// PrefillTokensPerSecond and DecodeTokensPerSecond are the speeds
	// assumed until Ollama's own timings say otherwise (0: a default).
	PrefillTokensPerSecond, DecodeTokensPerSecond float64
	// CountTokens makes the Local count prompts (CountRequest) with the
	// model's own vocabulary and rendering, which it then fetches from
	// Ollama. One local model counts for the router: the one whose window
	// is the hard wall.
	CountTokens bool
	// VocabularyLoaded, when set, is called once the vocabulary is built:
	// what Ollama sent for it (~5 MB of JSON, tens of MB as Go strings) is
	// garbage then, and the daemon may want the memory back.
	VocabularyLoaded func()
}

// Local is a model behind a local Ollama with what routing needs to know
// of it: the window that fits this machine's memory, the speed measured
// from Ollama's own timings, whether the server answers yet, and, when it
// counts tokens, the counter that renders and tokenizes as Ollama does.
// It is safe for concurrent use.
type Local struct {
	opts  LocalOptions
	p     *Provider
	speed *limits.Speed
	log   *slog.Logger

	// probe rate-limits the synchronous refresh Check does while Ollama
	// has not answered yet.
	probe     sync.Mutex
	probedAt  time.Time
	probeFail string

	// last is what Ollama's prompt cache most likely holds.
	last limits.LastReply

	// tokens counts prompts, with the vocabulary Prime fetches when
	// opts.CountTokens. prompt renders them as Ollama does, once Prime has
	// learnt how; nil renders Qwen3's chat template.
	tokens *tokenize.Counter
	prompt atomic.Pointer[prompter]
}

// probeEvery bounds how often a job may wait on asking a silent Ollama.
const probeEvery = 2 * time.Second

// NewLocal returns a Local. It does no I/O; Watch or Prime ask Ollama.
func NewLocal(o LocalOptions) *Local {
	l := &Local{opts: o, log: o.Logger,
		speed: limits.NewSpeed(o.PrefillTokensPerSecond, o.DecodeTokensPerSecond, 10*time.Second)}
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	l.tokens = tokenize.NewCounter()
	po := o.Options
	po.MaxWindow, po.Observe = l.maxWindow, l.observe
	l.p = New(po)
	return l
}

// Trim lets go of what counting remembers beyond what an idle daemon keeps
// (tokenize.Counter.Trim).
func (l *Local) Trim() { l.tokens.Trim() }

// Provider is the model's chat provider.
func (l *Local) Provider() *Provider { return l.p }

// Speed is the model's speed, as measured so far.
func (l *Local) Speed() *limits.Speed { return l.speed }

// Check says why the model cannot take a job now: Ollama has not answered
// yet, so its window is unknown. It asks Ollama again at most every
// probeEvery, briefly, so a server that just came up is used at once.
func (l *Local) Check() string {
	if _, ok := l.p.Info(); ok {
		return ""
	}
	if !l.probe.TryLock() {
		return "Ollama at " + l.opts.BaseURL + " has not answered yet"
	}
	defer l.probe.Unlock()
	if time.Since(l.probedAt) < probeEvery && l.probeFail != "" {
		return l.probeFail
	}
	l.probedAt = time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if _, err := l.p.Refresh(ctx); err != nil {
		l.probeFail = "Ollama at " + l.opts.BaseURL + " does not answer (" + err.Error() + ")"
		return l.probeFail
	}
	l.probeFail = ""
	return ""
}

// Fit is the memory arithmetic for the model info describes.
func (l *Local) Fit(info ModelInfo) limits.Fit {
	kv, err := limits.KVBytesPerToken(limits.KVShape{
		BlockCount: info.KV.BlockCount, HeadCountKV: info.KV.HeadCountKV, HeadCountKVPerLayer: info.KV.HeadCountKVPerLayer,
		KeyLength: info.KV.KeyLength, ValueLength: info.KV.ValueLength,
	}, l.opts.KVCacheType)
	if err != nil || info.WeightsBytes <= 0 {
		// Without the KV shape or the weights' size (Ollama lists the model
		// in /api/tags) the arithmetic is incomplete: no memory cap, rather
		// than one made up; doctor says so.
		kv = 0
	}
	return limits.WindowFor(info.NativeContext, l.opts.ContextWindow, kv, info.WeightsBytes, l.opts.Memory)
}

// maxWindow caps an automatic window by memory; Options.MaxWindow.
func (l *Local) maxWindow(info ModelInfo) int {
	f := l.Fit(info)
	if f.Capped {
		l.log.Warn("the model's native window does not fit in memory; using the largest that does",
			"native", f.Native, "window", f.Window, "arithmetic", f.Explain())
	}
	if !f.Fits && f.Window == 0 {
		return 0
	}
	return f.Window
}

// Window is the window switchyard sends and the model's native one; the
// configured window for both until Ollama has answered.
func (l *Local) Window() (use, native int) {
	info, ok := l.p.Info()
	if !ok {
		return l.opts.ContextWindow, l.opts.ContextWindow
	}
	return info.NumCtx, info.NativeContext
}

// DefinitionWindow is the num_ctx the model's Modelfile sets, 0 when it
// sets none or Ollama has not answered.
func (l *Local) DefinitionWindow() int {
	info, _ := l.p.Info()
	return info.DefinitionNumCtx
}

// Predict is the predicted seconds for a job of this size; it always can.
func (l *Local) Predict(prompt, output int) (float64, bool) {
	loaded := true
	if info, ok := l.p.Info(); ok {
		loaded = info.Loaded
	}
	return l.speed.Predict(prompt, 0, output, loaded), true
}

// observe feeds a reply's timings to the speed model. Ollama's
// prompt_eval_count includes prompt-cache hits while its duration covers
// only what it processed, so the cached part is guessed (LastReply).
func (l *Local) observe(mt Metrics) {
	cached, repeat := l.last.Next(mt.PromptEvalCount, mt.EvalCount)
	l.speed.Observe(limits.Observation{
		Prompt: mt.PromptEvalCount, Cached: cached, Repeat: repeat, PromptDuration: mt.PromptEvalDuration,
		Output: mt.EvalCount, OutputDuration: mt.EvalDuration, LoadDuration: mt.LoadDuration,
	})
}

// CheckReported flags a reply whose reported prompt is much smaller than
// the estimate: an Ollama too old to honour truncate:false cut the prompt.
func (l *Local) CheckReported(estimated int, u chat.Usage) {
	if estimated > 256 && u.PromptTokens > 0 && float64(u.PromptTokens) < 0.9*float64(estimated) {
		l.log.Warn("Ollama reports fewer prompt tokens than switchyard sent: the prompt was probably truncated (Ollama older than 0.12.6 ignores truncate:false); upgrade Ollama",
			"estimated", estimated, "reported", u.PromptTokens)
	}
}

// CountRequest returns the prompt tokens req costs the model and whether
// the count is exact: rendered and tokenized as Ollama does once it has
// told its template and vocabulary, estimated with Qwen3's chat template
// until then, and always for a Local made without CountTokens.
func (l *Local) CountRequest(req *chat.Request) (int, bool) {
	if pr := l.prompt.Load(); pr != nil {
		n := pr.count(l.tokens, req)
		return n.Tokens, n.Exact
	}
	n := l.tokens.CountRequest(req)
	return n.Tokens, n.Exact
}

// Prime asks Ollama once for the model's facts and, for a Local that
// counts tokens, learns from them how Ollama renders the model's prompt
// and, until it has it, fetches the model's vocabulary, from which the
// exact tokenizer is built.
func (l *Local) Prime(ctx context.Context) error {
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	info, err := l.p.Refresh(rctx)
	cancel()
	if err != nil {
		return err
	}
	l.log.Info("local model", "provider", l.opts.Name, "model", info.Model, "native_context", info.NativeContext,
		"definition_num_ctx", info.DefinitionNumCtx, "num_ctx", info.NumCtx, "ollama", info.Version)
	if !l.opts.CountTokens {
		return nil
	}
	if changed, err := l.SetFormat(info); changed && err != nil {
		l.log.Warn("token counts are not exact: switchyard cannot render this model's prompt as Ollama does", "provider", l.opts.Name, "error", err)
	}
	if !l.tokens.Exact() {
		vctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		v, verr := l.p.Vocabulary(vctx)
		cancel()
		if verr == nil {
			verr = l.setVocabulary(v)
			if l.opts.VocabularyLoaded != nil {
				l.opts.VocabularyLoaded()
			}
		}
		if verr != nil {
			l.log.Warn("local tokenizer unavailable; token counts are calibrated estimates that err high", "provider", l.opts.Name, "error", verr)
		}
	}
	return nil
}

// Watch primes the model until Ollama answers, then refreshes now and
// then so a model changed under us is noticed even when idle. It returns
// when ctx is done.
func (l *Local) Watch(ctx context.Context) {
	wait := time.Second
	for {
		if err := l.Prime(ctx); err != nil {
			l.log.Warn("local model not reachable yet", "provider", l.opts.Name, "error", err, "retry_in", wait)
			wait = min(wait*2, time.Minute)
		} else {
			wait = 5 * time.Minute
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

func (l *Local) setVocabulary(v Vocabulary) error {
	bpe, err := tokenize.NewBPE(tokenize.Vocabulary{Model: v.Model, Pre: v.Pre, Tokens: v.Tokens, Merges: v.Merges, TokenTypes: v.TokenTypes})
	if err != nil {
		return fmt.Errorf("%s: %w", l.opts.Model, err)
	}
	l.SetTokenizer(bpe)
	return nil
}

// SetTokenizer makes CountRequest exact with b, the model's tokenizer, as
// Prime does with the vocabulary Ollama sends; nil makes it estimate
// again.
func (l *Local) SetTokenizer(b *tokenize.BPE) { l.tokens.SetVocabulary(b) }

// SetFormat makes CountRequest render prompts as Ollama does for the
// model info describes, as Prime does with what Ollama answers. It reports
// whether that changed the rendering, and the renderer's problem when it
// cannot render exactly as Ollama does.
func (l *Local) SetFormat(info ModelInfo) (bool, error) {
	f := formatOf(info)
	if old := l.prompt.Load(); old != nil && old.format.equal(&f) {
		return false, nil
	}
	pr := l.p.newPrompter(f)
	l.prompt.Store(pr)
	return true, pr.Err()
}

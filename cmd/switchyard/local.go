package main

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/configs"
	"github.com/switchyard/switchyard/policy/limits"
	"github.com/switchyard/switchyard/providers/ollama"
)

// localModel joins an Ollama provider to the limits arithmetic: the window
// that fits this machine's memory, and the speed measured from Ollama's own
// timings.
type localModel struct {
	cfg    configs.Provider
	memory int64
	p      *ollama.Provider
	speed  *limits.Speed
	log    *slog.Logger

	// probe rate-limits the synchronous refresh check does while Ollama
	// has not answered yet.
	probe     sync.Mutex
	probedAt  time.Time
	probeFail string
	// lastPrompt and lastOutput are the last reply's sizes: what Ollama's
	// prompt cache most likely holds.
	mu                     sync.Mutex
	lastPrompt, lastOutput int
}

// probeEvery bounds how often a job may wait on asking a silent Ollama.
const probeEvery = 2 * time.Second

// check says why the local model cannot take a job now: Ollama has not
// answered yet, so its window is unknown. It asks Ollama again at most
// every probeEvery, briefly, so a server that just came up is used at once.
func (m *localModel) check() string {
	if _, ok := m.p.Info(); ok {
		return ""
	}
	if !m.probe.TryLock() {
		return "Ollama at " + m.cfg.BaseURL + " has not answered yet"
	}
	defer m.probe.Unlock()
	if time.Since(m.probedAt) < probeEvery && m.probeFail != "" {
		return m.probeFail
	}
	m.probedAt = time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if _, err := m.p.Refresh(ctx); err != nil {
		m.probeFail = "Ollama at " + m.cfg.BaseURL + " does not answer (" + err.Error() + ")"
		return m.probeFail
	}
	m.probeFail = ""
	return ""
}

func newLocalModel(pc configs.Provider, machineMemory int64, log *slog.Logger) *localModel {
	m := &localModel{cfg: pc, memory: int64(pc.Memory), log: log,
		speed: limits.NewSpeed(pc.PrefillTokensPerSecond, pc.DecodeTokensPerSecond, 10*time.Second)}
	if m.memory == 0 {
		m.memory = machineMemory
	}
	m.p = ollama.New(ollama.Options{
		Name: pc.Name, BaseURL: pc.BaseURL, Model: pc.Model, ContextWindow: pc.ContextWindow,
		MaxWindow: m.maxWindow, Logger: log, Observe: m.observe,
	})
	return m
}

// fit is the memory arithmetic for the model Ollama described.
func (m *localModel) fit(info ollama.ModelInfo) limits.Fit {
	kv, err := limits.KVBytesPerToken(limits.KVShape{
		BlockCount: info.KV.BlockCount, HeadCountKV: info.KV.HeadCountKV, HeadCountKVPerLayer: info.KV.HeadCountKVPerLayer,
		KeyLength: info.KV.KeyLength, ValueLength: info.KV.ValueLength,
	}, m.cfg.KVCacheType)
	if err != nil || info.WeightsBytes <= 0 {
		// Without the KV shape or the weights' size (Ollama lists the model
		// in /api/tags) the arithmetic is incomplete: no memory cap, rather
		// than one made up; doctor says so.
		kv = 0
	}
	return limits.WindowFor(info.NativeContext, m.cfg.ContextWindow, kv, info.WeightsBytes, m.memory)
}

// maxWindow caps an automatic window by memory; ollama.Options.MaxWindow.
func (m *localModel) maxWindow(info ollama.ModelInfo) int {
	f := m.fit(info)
	if f.Capped {
		m.log.Warn("the model's native window does not fit in memory; using the largest that does",
			"native", f.Native, "window", f.Window, "arithmetic", f.Explain())
	}
	if !f.Fits && f.Window == 0 {
		return 0
	}
	return f.Window
}

// window is the window switchyard sends and the model's native one; 0 until
// Ollama has answered.
func (m *localModel) window() (int, int) {
	info, ok := m.p.Info()
	if !ok {
		return m.cfg.ContextWindow, m.cfg.ContextWindow
	}
	return info.NumCtx, info.NativeContext
}

// definitionWindow is the num_ctx the model's Modelfile sets, 0 when it
// sets none or Ollama has not answered.
func (m *localModel) definitionWindow() int {
	info, _ := m.p.Info()
	return info.DefinitionNumCtx
}

func (m *localModel) predict(prompt, output int) (float64, bool) {
	loaded := true
	if info, ok := m.p.Info(); ok {
		loaded = info.Loaded
	}
	return m.speed.Predict(prompt, 0, output, loaded), true
}

// observe feeds a reply's timings to the speed model. Ollama's
// prompt_eval_count includes prompt-cache hits while its duration covers
// only what it processed; an agent's next turn usually extends the last
// prompt, so the last count is taken as the cached part of a longer one
// (a guess that can only make the measured speed lower, never higher).
func (m *localModel) observe(mt ollama.Metrics) {
	m.mu.Lock()
	cached := 0
	if m.lastPrompt > 0 && mt.PromptEvalCount > m.lastPrompt+m.lastOutput {
		cached = m.lastPrompt + m.lastOutput
	}
	repeat := mt.PromptEvalCount == m.lastPrompt
	m.lastPrompt, m.lastOutput = mt.PromptEvalCount, mt.EvalCount
	m.mu.Unlock()
	m.speed.Observe(limits.Observation{
		Prompt: mt.PromptEvalCount, Cached: cached, Repeat: repeat, PromptDuration: mt.PromptEvalDuration,
		Output: mt.EvalCount, OutputDuration: mt.EvalDuration, LoadDuration: mt.LoadDuration,
	})
}

// checkReported flags a reply whose reported prompt is much smaller than
// the estimate: an Ollama too old to honour truncate:false cut the prompt.
func (m *localModel) checkReported(estimated int, u chat.Usage) {
	if estimated > 256 && u.PromptTokens > 0 && float64(u.PromptTokens) < 0.9*float64(estimated) {
		m.log.Warn("Ollama reports fewer prompt tokens than switchyard sent: the prompt was probably truncated (Ollama older than 0.12.6 ignores truncate:false); upgrade Ollama",
			"estimated", estimated, "reported", u.PromptTokens)
	}
}

func (m *localModel) upstream() *routerUpstream {
	return &routerUpstream{
		Name: m.cfg.Name, Kind: m.cfg.Kind, Model: m.cfg.Model, Local: true, Provider: m.p,
		ContextWindow: m.cfg.ContextWindow, Window: m.window, DefinitionWindow: m.definitionWindow,
		FirstByteTimeout: m.cfg.FirstByteTimeout, SlowAfter: m.cfg.SlowAfter,
		Predict: m.predict, Observe: m.checkReported, PrefillSpeed: m.speed.PrefillTPS, Check: m.check,
	}
}

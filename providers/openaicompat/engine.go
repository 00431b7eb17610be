package openaicompat

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// A local OpenAI-compatible engine knows its own window; switchyard asks
// rather than be told, as it asks Ollama's /api/show:
//
//   - vLLM lists each served model in GET /v1/models with max_model_len,
//     the longest prompt plus output it accepts (--max-model-len, or the
//     model's own length) (vllm/entrypoints/openai/protocol.py, ModelCard).
//   - llama.cpp's server says in GET /props, under
//     default_generation_settings, the n_ctx of a slot: what one request
//     may use (tools/server/README.md, "GET /props"); its /v1/models gives
//     the model's trained length as meta.n_ctx_train. /props says too, as
//     total_slots, how many slots it has (its --parallel): how many
//     conversations its prompt caches hold at once.
//
// Anything else (LM Studio, a proxy) says neither, and its provider needs
// context_window in the configuration.

// EngineInfo is what an engine said about itself.
type EngineInfo struct {
	// Engine is "vllm" or "llama.cpp".
	Engine string
	// Window is the context a request may use, in tokens; Native the
	// model's own length when the engine says it (0 otherwise).
	Window, Native int
	// Slots is how many requests the engine keeps a prompt cache for at
	// once, bounded to 1..maxSlots, when it says (llama.cpp's
	// total_slots); 0 otherwise.
	Slots int
}

// maxSlots bounds the slots an engine is believed to have, as the
// configuration's slots key is bounded.
const maxSlots = 64

// modelList is GET /v1/models as vLLM and llama.cpp answer it.
type modelList struct {
	Data []struct {
		ID          string `json:"id"`
		MaxModelLen int    `json:"max_model_len"`
		Meta        *struct {
			NCtxTrain int `json:"n_ctx_train"`
		} `json:"meta"`
	} `json:"data"`
}

type props struct {
	DefaultGenerationSettings struct {
		NCtx int `json:"n_ctx"`
	} `json:"default_generation_settings"`
	TotalSlots int `json:"total_slots"`
}

// Discover asks the engine for its window: vLLM's max_model_len for the
// configured model (or the only model served), else llama.cpp's slot
// n_ctx. It fails, saying what it asked, when neither answers.
func (p *Provider) Discover(ctx context.Context) (EngineInfo, error) {
	base := strings.TrimRight(p.o.BaseURL, "/")
	var info EngineInfo
	var ml modelList
	modelsErr := p.getJSON(ctx, base+"/models", &ml)
	if modelsErr == nil {
		for _, m := range ml.Data {
			if m.ID != p.o.Model && len(ml.Data) > 1 {
				continue
			}
			if m.MaxModelLen > 0 {
				return EngineInfo{Engine: "vllm", Window: m.MaxModelLen}, nil
			}
			if m.Meta != nil && m.Meta.NCtxTrain > 0 {
				info.Native = m.Meta.NCtxTrain
			}
		}
	}
	// /props is at the server's root, beside /v1.
	root := strings.TrimSuffix(base, "/v1")
	var pr props
	propsErr := p.getJSON(ctx, root+"/props", &pr)
	if propsErr == nil && pr.DefaultGenerationSettings.NCtx > 0 {
		info.Engine, info.Window = "llama.cpp", pr.DefaultGenerationSettings.NCtx
		if pr.TotalSlots > 0 {
			info.Slots = min(pr.TotalSlots, maxSlots)
		}
		return info, nil
	}
	why := func(err error, what string) string {
		if err != nil {
			return err.Error()
		}
		return "no " + what
	}
	return EngineInfo{}, fmt.Errorf("the engine does not say its window (GET %s/models: %s; GET %s/props: %s): set context_window",
		base, why(modelsErr, "max_model_len for "+p.o.Model), root, why(propsErr, "default_generation_settings.n_ctx"))
}

// getJSON GETs url into v, with the provider's key.
func (p *Provider) getJSON(ctx context.Context, url string, v any) error {
	return p.callJSON(ctx, http.MethodGet, url, nil, 4<<20, v)
}

// askEvery bounds how often a job may wait on asking a silent engine.
const askEvery = 2 * time.Second

// Engine is a local engine's window as it said it: asked at the first
// need and again, at most every askEvery, while it has not answered; and
// its load, as Watch last read it (load.go).
type Engine struct {
	p       *Provider
	timeout time.Duration

	mu    sync.Mutex
	info  EngineInfo
	err   error
	asked time.Time

	load                      atomic.Pointer[loadReading]
	loadEvery, loadProbeEvery time.Duration
}

// NewEngine returns p's Engine; it does no I/O.
func NewEngine(p *Provider) *Engine {
	return &Engine{p: p, timeout: askEvery, loadEvery: loadEvery, loadProbeEvery: loadProbeEvery}
}

// Check is "" once the engine has said its window, and otherwise why
// routing must skip it; it asks the engine when it has not lately.
func (e *Engine) Check() string {
	e.mu.Lock()
	if e.info.Window > 0 {
		e.mu.Unlock()
		return ""
	}
	if time.Since(e.asked) < askEvery {
		// Asked lately (perhaps being asked now): not again yet.
		defer e.mu.Unlock()
		return e.why()
	}
	e.asked = time.Now()
	e.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), e.timeout)
	info, err := e.p.Discover(ctx)
	cancel()
	e.mu.Lock()
	defer e.mu.Unlock()
	e.info, e.err = info, err
	if info.Window > 0 {
		return ""
	}
	return e.why()
}

// why says why the window is unknown. The caller holds mu.
func (e *Engine) why() string {
	if e.err == nil {
		return "its context window is not known yet"
	}
	return e.err.Error()
}

// Window is the window in use and the model's own, 0 while unknown.
func (e *Engine) Window() (use, native int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.info.Window, e.info.Native
}

// Slots is how many slots the engine said it has, 0 until it has said
// (or if it does not say: vLLM, LM Studio).
func (e *Engine) Slots() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.info.Slots
}

// Info is what the engine said, the zero value until it has.
func (e *Engine) Info() EngineInfo {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.info
}

package ollama

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/switchyard/switchyard/providers"
)

// Answer size limits. A non-verbose /api/show is tens of KB (its template
// and license are the bulk); lists grow with the number of models.
const (
	maxShowBody = 8 << 20
	maxListBody = 8 << 20
)

// Refresh reads the model's description from Ollama (/api/show, and
// /api/version, /api/tags and /api/ps for what they add), decides the window
// to send, stores the result for Info and Chat, and returns it. Only a
// failure of /api/show fails Refresh: KindUnavailable when Ollama is
// unreachable or does not have the model. It also fails when no window can
// be determined (no native length and no ContextWindow configured).
//
// A definition whose num_ctx is below the native length is logged as a
// warning once per model version: it is the label that would silently cap
// the window if switchyard did not send num_ctx itself.
func (p *Provider) Refresh(ctx context.Context) (ModelInfo, error) {
	select {
	case p.refreshing <- struct{}{}:
	case <-ctx.Done():
		return ModelInfo{}, p.transportError(ctx, "refresh", ctx.Err())
	}
	defer func() { <-p.refreshing }()
	return p.refreshLocked(ctx)
}

func (p *Provider) refreshLocked(ctx context.Context) (ModelInfo, error) {
	var show showResponse
	if err := p.doJSON(ctx, http.MethodPost, "/api/show", map[string]any{"model": p.opts.Model}, &show, maxShowBody); err != nil {
		if pe, ok := providers.AsError(err); ok && pe.Status == http.StatusNotFound {
			pe.Message = "model " + strconv.Quote(p.opts.Model) + " is not in Ollama; run: ollama pull " + p.opts.Model
			p.markStale()
		}
		return ModelInfo{}, err
	}
	info := ModelInfo{Model: p.opts.Model, RefreshedAt: time.Now()}
	info.fromShow(&show)

	// The rest only adds detail: a failure is logged, not returned.
	var version struct {
		Version string `json:"version"`
	}
	if err := p.doJSON(ctx, http.MethodGet, "/api/version", nil, &version, 4096); err != nil {
		p.log.Debug("ollama: version unavailable", logErr, err)
	}
	info.Version = version.Version
	var tags listResponse
	if err := p.doJSON(ctx, http.MethodGet, "/api/tags", nil, &tags, maxListBody); err != nil {
		p.log.Debug("ollama: model list unavailable", logErr, err)
	} else if e, ok := tags.find(p.opts.Model); ok {
		info.WeightsBytes, info.Digest = e.Size, e.Digest
	}
	var ps listResponse
	if err := p.doJSON(ctx, http.MethodGet, "/api/ps", nil, &ps, maxListBody); err != nil {
		p.log.Debug("ollama: running models unavailable", logErr, err)
	} else if e, ok := ps.find(p.opts.Model); ok {
		info.Loaded, info.LoadedContext = true, e.ContextLength
		info.LoadedBytes, info.LoadedVRAMBytes = e.Size, e.SizeVRAM
	}

	info.NumCtx = p.window(info)
	if info.NumCtx <= 0 {
		return ModelInfo{}, &providers.Error{Provider: p.name, Kind: providers.KindUnavailable,
			Message: "Ollama does not report a context length for " + strconv.Quote(p.opts.Model) + "; set context_window in the config"}
	}
	p.store(info)
	return info, nil
}

// window decides the num_ctx to send for info.
func (p *Provider) window(info ModelInfo) int {
	w := p.opts.ContextWindow
	if w <= 0 {
		w = info.NativeContext
		if p.opts.MaxWindow != nil {
			if m := p.opts.MaxWindow(info); m > 0 && (w <= 0 || m < w) {
				w = m
			}
		}
		if w <= 0 && info.DefinitionNumCtx > 0 {
			// No native length (an unusual GGUF): the definition's window is
			// the best remaining evidence of what the model can take.
			w = info.DefinitionNumCtx
			p.log.Warn("ollama: no native context length in /api/show; using the definition's num_ctx", logNumCtx, w)
		}
	}
	if info.NativeContext > 0 && w > info.NativeContext {
		p.log.Warn("ollama: context_window is larger than the model's native context length; using the native length",
			"context_window", w, logNative, info.NativeContext)
		w = info.NativeContext
	}
	return w
}

// store keeps info as the current ModelInfo and logs what is new about it.
func (p *Provider) store(info ModelInfo) {
	p.mu.Lock()
	prev := p.info
	p.info, p.stale, p.checkedAt = &info, false, time.Now()
	identity := info.Digest + "|" + info.ModifiedAt.String()
	warn := p.warnedFor != identity
	p.warnedFor = identity
	p.mu.Unlock()

	if warn && info.DefinitionNumCtx > 0 && info.NativeContext > 0 && info.DefinitionNumCtx < info.NativeContext {
		p.log.Warn("ollama: the model definition sets num_ctx below the model's native context length; switchyard sends its own num_ctx, but other clients of this Ollama get the smaller window",
			logDefinition, info.DefinitionNumCtx, logNative, info.NativeContext, logNumCtx, info.NumCtx)
	}
	if prev != nil && prev.NumCtx != info.NumCtx {
		p.log.Info("ollama: window changed; Ollama will reload the model", "old_num_ctx", prev.NumCtx, logNumCtx, info.NumCtx)
	}
}

// Info returns the last ModelInfo Refresh stored, without I/O; false when
// no Refresh has succeeded yet.
func (p *Provider) Info() (ModelInfo, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.info == nil {
		return ModelInfo{}, false
	}
	return *p.info, true
}

// markStale makes the next Chat refresh first: Ollama said the model is
// not there.
func (p *Provider) markStale() {
	p.mu.Lock()
	p.stale = true
	p.mu.Unlock()
}

// current returns the ModelInfo Chat should use: refreshed when there is
// none yet (Ollama was down at start) or Ollama said the model was not
// found, and when a periodic /api/tags check says the model changed.
func (p *Provider) current(ctx context.Context) (ModelInfo, error) {
	p.mu.Lock()
	info, stale, checkedAt := p.info, p.stale, p.checkedAt
	p.mu.Unlock()
	if info == nil || stale {
		return p.refreshIfStill(ctx, func() bool {
			return p.info == nil || p.stale
		})
	}
	if p.opts.ChangeCheckInterval < 0 || time.Since(checkedAt) < p.opts.ChangeCheckInterval {
		return *info, nil
	}
	changed, err := p.changed(ctx, info)
	if err != nil {
		// Ollama is unreachable or confused: the chat request will say so
		// itself, with a better error than the list's.
		p.log.Debug("ollama: change check failed", logErr, err)
		return *info, nil
	}
	if !changed {
		return *info, nil
	}
	p.log.Info("ollama: the model changed; reading its description again")
	return p.refreshIfStill(ctx, func() bool {
		return p.info == nil || p.info.RefreshedAt.Equal(info.RefreshedAt)
	})
}

// refreshIfStill refreshes unless another caller did while this one waited
// for its turn; need is evaluated under p.mu.
func (p *Provider) refreshIfStill(ctx context.Context, need func() bool) (ModelInfo, error) {
	select {
	case p.refreshing <- struct{}{}:
	case <-ctx.Done():
		return ModelInfo{}, p.transportError(ctx, "refresh", ctx.Err())
	}
	defer func() { <-p.refreshing }()
	p.mu.Lock()
	again, cur := need(), p.info
	p.mu.Unlock()
	if !again && cur != nil {
		return *cur, nil
	}
	return p.refreshLocked(ctx)
}

// changed asks /api/tags whether the model's digest or modification time
// differs from info's, or whether it is gone.
func (p *Provider) changed(ctx context.Context, info *ModelInfo) (bool, error) {
	p.mu.Lock()
	p.checkedAt = time.Now()
	p.mu.Unlock()
	var tags listResponse
	if err := p.doJSON(ctx, http.MethodGet, "/api/tags", nil, &tags, maxListBody); err != nil {
		return false, err
	}
	e, ok := tags.find(p.opts.Model)
	if !ok {
		return true, nil
	}
	return e.Digest != info.Digest || !e.ModifiedAt.Equal(info.ModifiedAt), nil
}

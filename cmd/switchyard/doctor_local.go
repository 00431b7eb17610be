package main

import (
	"context"
	"fmt"
	"time"

	"github.com/switchyard/switchyard/providers/ollama"
)

// doctorLocal checks an Ollama provider: reachable, the model present, the
// window (the seed's v-128k label bug is exactly that check), memory, and
// slow_after against a full window's prefill.
func doctorLocal(ctx context.Context, r *report, lm *localModel) {
	name := lm.cfg.Name
	rctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	info, err := lm.Provider().Refresh(rctx)
	cancel()
	if err != nil {
		r.add(name+" ollama", statusFail, ollamaFix(lm), "%s (%s, model %s): %v", name, lm.cfg.BaseURL, lm.cfg.Model, err)
		return
	}
	r.add(name+" ollama", statusOK, "", "Ollama %s at %s answers", orUnknown(info.Version), lm.cfg.BaseURL)
	doctorLocalModel(r, lm, info)
}

// ollamaFix is what to do when lm's Ollama does not answer.
func ollamaFix(lm *localModel) string {
	return fmt.Sprintf("start Ollama (systemctl start ollama, or ollama serve) and check base_url, or pull the model: ollama pull %s", lm.cfg.Model)
}

// doctorLocalModel checks what Ollama said of lm's model (info): the model
// present, the window against the definition's num_ctx and the native
// length, memory, and slow_after. It does no I/O, so the daemon can run it on
// the facts its background refresh keeps, and `switchyard
// doctor` on the ones it just read.
func doctorLocalModel(r *report, lm *localModel, info ollama.ModelInfo) {
	name := lm.cfg.Name
	r.add(name+" model", statusOK, "", "%s is present (%s, native context %d)", info.Model, orUnknown(info.Architecture), info.NativeContext)

	f := lm.Fit(info)
	switch {
	case info.DefinitionNumCtx > 0 && info.DefinitionNumCtx < info.NativeContext:
		msg := fmt.Sprintf("model definition caps num_ctx at %d; the model supports %d; switchyard sends num_ctx=%d",
			info.DefinitionNumCtx, info.NativeContext, info.NumCtx)
		if f.Capped {
			msg += fmt.Sprintf(", the largest window that fits in memory (%s)", f.Explain())
		}
		r.add(name+" window", statusWarn, "nothing to do for switchyard (it always sends num_ctx); for other Ollama clients, remove PARAMETER num_ctx from the Modelfile or recreate the model with the full window", "%s", msg)
	case f.Capped:
		r.add(name+" window", statusWarn, "set memory: to what the model may really use, choose kv_cache_type: q8_0, or accept the smaller window",
			"the model supports %d tokens but that does not fit in memory; switchyard sends num_ctx=%d, the largest that does (%s)", info.NativeContext, info.NumCtx, f.Explain())
	default:
		r.add(name+" window", statusOK, "", "switchyard sends num_ctx=%d (native %d%s)", info.NumCtx, info.NativeContext, defNote(info.DefinitionNumCtx))
	}

	if f.KVPerToken > 0 && f.Memory > 0 {
		if f.Fits {
			r.add(name+" memory", statusOK, "", "%s", f.Explain())
		} else {
			r.add(name+" memory", statusWarn, "lower context_window, set kv_cache_type: q8_0 (OLLAMA_KV_CACHE_TYPE on the Ollama server too), or set context_window: 0 to let switchyard pick what fits",
				"context_window %d does not fit: %s", f.Window, f.Explain())
		}
	} else {
		r.add(name+" memory", statusWarn, "upgrade Ollama so /api/show reports the model's shape", "could not compute the KV cache's size: the model's shape or this machine's memory is unknown")
	}

	doctorSlowAfter(r, lm, info)
}

// doctorSlowAfter checks lm's slow_after against the time to prefill a
// full window. The finding names the key as the configuration spells it
// now: its first name, timeout, is still read, but a user looking for
// what to edit finds slow_after in the bundled file and the docs.
func doctorSlowAfter(r *report, lm *localModel, info ollama.ModelInfo) {
	name, slow := lm.cfg.Name, lm.cfg.SlowAfter
	if slow <= 0 || info.NumCtx <= 0 {
		return
	}
	full := lm.Speed().PrefillSeconds(info.NumCtx, 0)
	tps := float64(info.NumCtx) / full
	if full <= slow.Seconds() {
		r.add(name+" slow_after", statusOK, "", "prefilling a full %d-token window takes about %.0f s at %.0f tokens/s, within slow_after (%s)",
			info.NumCtx, full, tps, slow)
		return
	}
	r.add(name+" slow_after", statusWarn,
		fmt.Sprintf("nothing to do if that is intended; raise slow_after in provider %s (timeout in a file that still uses its first name) to keep more public jobs local", name),
		"prefilling a full %d-token window takes about %.0f s at %.0f tokens/s, over slow_after (%s): public jobs above ~%d tokens go to the cloud; private ones are still served, with keep-alives",
		info.NumCtx, full, tps, slow, maxTokensWithin(lm, slow.Seconds()))
}

// maxTokensWithin is the largest prompt that prefills within seconds.
func maxTokensWithin(lm *localModel, seconds float64) int {
	lo, hi := 0, 1<<24
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if lm.Speed().PrefillSeconds(mid, 0) <= seconds {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo / 1000 * 1000
}

func defNote(def int) string {
	if def == 0 {
		return ", no num_ctx in the model definition"
	}
	return fmt.Sprintf(", definition num_ctx %d", def)
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

package main

import (
	"time"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/configs"
	"github.com/switchyard/switchyard/policy/limits"
)

// engineSpeed learns a local OpenAI-compatible engine's speed (llama.cpp
// server, vLLM, LM Studio) from what switchyard sees, since no timing in
// their answers is common to all of them: a streamed answer's first chunk
// comes once the prompt is processed, so the time to it is the prefill
// (with any queue at the engine and the hop, which can only make the
// learnt speed lower), and the rest of the answer is decoding. Where the
// engine times its prefill itself (llama.cpp's timings: prompt_ms for the
// prompt_n tokens its cache did not hold), that is taken instead; and
// then a whole answer (asked for with stream: false) teaches too, the
// rest of its time being decoding. A whole answer from an engine that
// does not time its prefill teaches nothing: its time is prefill and
// decoding together.
type engineSpeed struct {
	speed *limits.Speed
	last  limits.LastReply
}

func newEngineSpeed(pc configs.Provider) *engineSpeed {
	return &engineSpeed{speed: limits.NewSpeed(pc.PrefillTokensPerSecond, pc.DecodeTokensPerSecond, 0)}
}

// timed is the Upstream's Timed; firstChunk 0 is a whole answer's.
func (e *engineSpeed) timed(u chat.Usage, firstChunk, total time.Duration) {
	if u.PromptTokens <= 0 {
		return // an engine that reports no usage: nothing to fit
	}
	if firstChunk <= 0 && u.PromptDuration <= 0 {
		return // a whole answer the engine did not time: no split
	}
	cached, repeat := e.last.Next(u.PromptTokens, u.CompletionTokens)
	if u.CachedTokens > 0 || u.PromptDuration > 0 {
		// The engine said what it had cached (vLLM's
		// prompt_tokens_details, llama.cpp's timings): no guess.
		cached, repeat = u.CachedTokens, false
	}
	prefill := firstChunk
	if u.PromptDuration > 0 {
		// And how long the rest took (llama.cpp's timings), without the
		// hop or its queue.
		prefill = u.PromptDuration
	}
	// A streamed answer's first chunk carries a token; the rest were
	// decoded after it.
	output, decoding := max(0, u.CompletionTokens-1), total-firstChunk
	if firstChunk <= 0 {
		// A whole answer: every token was decoded after the prompt the
		// engine timed. The rest of the time also holds the hop and any
		// queue at the engine, which can only make the learnt decoding
		// speed lower.
		output, decoding = u.CompletionTokens, total-u.PromptDuration
	}
	e.speed.Observe(limits.Observation{Prompt: u.PromptTokens, Cached: cached, Repeat: repeat,
		PromptDuration: prefill, Output: output, OutputDuration: max(0, decoding)})
}

// predict is the Upstream's Predict: the engine is taken to be loaded, as
// a server that answers has its model in memory.
func (e *engineSpeed) predict(prompt, output int) (float64, bool) {
	return e.speed.Predict(prompt, 0, output, true), true
}

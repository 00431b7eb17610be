package ollama

import "time"

// Metrics are Ollama's timings for one completed reply, from the final
// done:true line (api/types.go Metrics; durations arrive in nanoseconds).
//
// PromptEvalCount counts the whole prompt including prompt-cache hits, while
// PromptEvalDuration covers only the newly processed tokens (Ollama v0.30.1+,
// PROVIDERS.md §1.2): their ratio overstates prefill speed on a cache hit.
type Metrics struct {
	Model              string
	NumCtx             int // the window the request was sent with
	PromptEvalCount    int
	PromptEvalDuration time.Duration
	EvalCount          int
	EvalDuration       time.Duration
	LoadDuration       time.Duration
	TotalDuration      time.Duration
	DoneReason         string
}

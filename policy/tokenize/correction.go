package tokenize

import (
	"math"
	"sync"
)

// Correction learns how a cloud provider's token counts relate to ours,
// from the prompt tokens it reports, and scales our counts by that. Its
// tokenizer is not ours (Devstral's Tekken, Gemini's SentencePiece), so
// our count of the same prompt is off by a roughly steady factor.
//
// The factor is an exponentially weighted mean of reported/estimated,
// each observation clamped to [MinRatio, MaxRatio] so that one odd answer
// (a cached prompt, a provider bug) cannot swing it far, and weighted by
// the request's size, since small prompts are dominated by template
// overhead. With no observations it is the prior, which should err high.
// It is safe for concurrent use.
type Correction struct {
	mu    sync.Mutex
	ratio float64
	seen  int
}

// Bounds and defaults of a Correction.
const (
	MinRatio = 0.5
	MaxRatio = 3.0
	// DefaultPrior is the ratio used before any observation: other
	// tokenizers rarely need more than 15% more tokens than Qwen's.
	DefaultPrior = 1.15
	// correctionWeight is the weight of one full-size observation.
	correctionWeight = 0.2
	// fullWeightTokens is the prompt size from which an observation gets
	// full weight.
	fullWeightTokens = 1000
)

// NewCorrection returns a Correction that starts at prior (clamped to
// [MinRatio, MaxRatio]; 0 means DefaultPrior).
func NewCorrection(prior float64) *Correction {
	if prior == 0 || math.IsNaN(prior) {
		prior = DefaultPrior
	}
	return &Correction{ratio: clampRatio(prior)}
}

// Observe records that a prompt we counted as estimated tokens was
// reported as reported tokens. Observations where either is not positive
// say nothing and are ignored.
func (c *Correction) Observe(estimated, reported int) {
	if estimated <= 0 || reported <= 0 {
		return
	}
	r := clampRatio(float64(reported) / float64(estimated))
	w := correctionWeight * min(1, float64(estimated)/fullWeightTokens)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == 0 {
		// The first real observation outweighs a guessed prior, but not
		// entirely: it may be the outlier.
		w = max(w, 0.5)
	}
	c.ratio += w * (r - c.ratio)
	c.seen++
}

// Adjust returns estimated scaled by the learned ratio, rounded up.
func (c *Correction) Adjust(estimated int) int {
	if estimated <= 0 {
		return estimated
	}
	return int(math.Ceil(float64(estimated) * c.Ratio()))
}

// Ratio is the current factor.
func (c *Correction) Ratio() float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ratio
}

func clampRatio(r float64) float64 {
	return min(max(r, MinRatio), MaxRatio)
}

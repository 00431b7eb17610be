package limits

import (
	"math"
	"sync"
	"time"
)

// Speed learns how fast the local model prefills and decodes, from Ollama's
// own timings on every reply, and predicts how long a job will take.
//
// Prefill slows as the context grows: attention over a prefix of d tokens
// costs time proportional to d, so the time per token at depth d is
// a + b·d, and prefilling from depth c to depth n takes
// a·(n−c) + b·(n²−c²)/2. Speed fits a and b by least squares over recent
// observations (exponentially weighted), starting from the configured
// speed as a prior with no slowdown.
type Speed struct {
	mu sync.Mutex
	// Sufficient statistics of the weighted least-squares fit
	// t = a·x1 + b·x2, with the prior folded in as a pseudo-observation.
	s11, s12, s22, s1t, s2t float64
	decode                  ewma
	load                    ewma
	output                  ewma
	observed                int
	// points are the last keptPoints observations the fit took, oldest
	// first from next on: what a chart of the fit shows beside it.
	points [keptPoints]Point
	next   int
}

// keptPoints is how many observations Points returns.
const keptPoints = 64

// Point is one observed prefill: Prompt tokens, Cached of them from the
// prompt cache, prefilled in Seconds.
type Point struct {
	Prompt, Cached int
	Seconds        float64
}

// Points returns the last observations the fit took (at most 64), oldest
// first.
func (s *Speed) Points() []Point {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := min(s.observed, keptPoints)
	out := make([]Point, 0, n)
	for i := n; i > 0; i-- {
		out = append(out, s.points[(s.next-i+keptPoints)%keptPoints])
	}
	return out
}

// priorOutput is the answer length assumed before any is seen: an agent's
// turn is mostly a tool call or a short reply.
const priorOutput = 256

// forget is the weight an old observation keeps when a new one arrives.
const forget = 0.95

// priorTokens is how many tokens of evidence the configured speed counts
// for: a few real observations outweigh it.
const priorTokens = 4096

// NewSpeed starts from configured prefill and decode speeds (tokens/s) and
// a guess of the cold-load time.
func NewSpeed(prefillTPS, decodeTPS float64, load time.Duration) *Speed {
	if prefillTPS <= 0 {
		prefillTPS = 400
	}
	if decodeTPS <= 0 {
		decodeTPS = 30
	}
	s := &Speed{}
	// Prior: priorTokens tokens at depth ~0 took priorTokens/prefillTPS s,
	// and a tiny weight on b = 0 keeps the system solvable.
	x1, t := float64(priorTokens), float64(priorTokens)/prefillTPS
	s.s11, s.s1t = x1*x1, x1*t
	s.s22 = 1e-6
	s.decode = ewma{v: decodeTPS, n: 1}
	s.load = ewma{v: load.Seconds(), n: 1}
	s.output = ewma{v: priorOutput, n: 1}
	return s
}

// Observation is one reply's timings, from Ollama's final line.
type Observation struct {
	// Prompt is the whole prompt's size; Cached how many of its tokens came
	// from the prompt cache (prompt_eval_duration covers only the rest).
	Prompt, Cached int
	// Repeat is true when the prompt is the same size as the last one: it
	// may have come from the prompt cache whole.
	Repeat         bool
	PromptDuration time.Duration
	Output         int
	OutputDuration time.Duration
	LoadDuration   time.Duration
}

// Observe adds a reply's timings.
func (s *Speed) Observe(o Observation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, c := float64(o.Prompt), float64(max(0, min(o.Cached, o.Prompt)))
	t := o.PromptDuration.Seconds()
	if o.Repeat && n-c >= 64 && t > 0 && t*cacheHitRatio < s.prefillLocked(o.Prompt, o.Cached) {
		// Recent Ollama counts prompt-cache hits in prompt_eval_count but
		// times only the tokens it processed (PROVIDERS.md §1.2): a prompt
		// of the same size as the last one, answered this much faster than
		// predicted, was mostly cached and would teach an absurd speed.
		t = 0
	}
	if n-c >= 64 && t > 0 {
		x1, x2 := n-c, (n*n-c*c)/2
		s.s11, s.s12, s.s22 = s.s11*forget+x1*x1, s.s12*forget+x1*x2, s.s22*forget+x2*x2
		s.s1t, s.s2t = s.s1t*forget+x1*t, s.s2t*forget+x2*t
		s.observed++
		s.points[s.next] = Point{Prompt: o.Prompt, Cached: int(c), Seconds: t}
		s.next = (s.next + 1) % keptPoints
	}
	if t := o.OutputDuration.Seconds(); o.Output >= 8 && t > 0 {
		s.decode.add(float64(o.Output) / t)
	}
	if o.Output > 0 {
		s.output.add(float64(o.Output))
	}
	if o.LoadDuration > 500*time.Millisecond {
		s.load.add(o.LoadDuration.Seconds())
	}
}

// coefficients solves the 2×2 normal equations, keeping both non-negative.
func (s *Speed) coefficients() (a, b float64) {
	det := s.s11*s.s22 - s.s12*s.s12
	if det > 0 {
		a = (s.s1t*s.s22 - s.s2t*s.s12) / det
		b = (s.s2t*s.s11 - s.s1t*s.s12) / det
	}
	if det <= 0 || a <= 0 || b < 0 {
		b = 0
		a = s.s1t / s.s11
	}
	return a, b
}

// cacheHitRatio: an observed prefill this many times faster than predicted
// is taken for a prompt-cache hit, not a speed.
const cacheHitRatio = 8

// PrefillSeconds predicts the time to prefill from depth cached to depth
// prompt.
func (s *Speed) PrefillSeconds(prompt, cached int) float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.prefillLocked(prompt, cached)
}

func (s *Speed) prefillLocked(prompt, cached int) float64 {
	a, b := s.coefficients()
	n, c := float64(prompt), float64(max(0, min(cached, prompt)))
	return a*(n-c) + b*(n*n-c*c)/2
}

// PrefillTPS is the current prefill speed at depth 0, in tokens/s.
func (s *Speed) PrefillTPS() float64 {
	s.mu.Lock()
	a, _ := s.coefficients()
	s.mu.Unlock()
	if a <= 0 {
		return math.Inf(1)
	}
	return 1 / a
}

// PrefillTPSAt is the average prefill speed for a prompt of n tokens.
func (s *Speed) PrefillTPSAt(n int) float64 {
	t := s.PrefillSeconds(n, 0)
	if t <= 0 {
		return math.Inf(1)
	}
	return float64(n) / t
}

// DecodeTPS is the measured decode speed.
func (s *Speed) DecodeTPS() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.decode.v
}

// Observed is how many prefill observations have been taken.
func (s *Speed) Observed() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.observed
}

// Predict is the whole job: uncached prefill, the output at decode speed,
// and the load time if the model is not loaded. An output of 0 means the
// client set no budget: the typical answer length seen so far is assumed.
func (s *Speed) Predict(prompt, cached, output int, loaded bool) float64 {
	t := s.PrefillSeconds(prompt, cached)
	s.mu.Lock()
	defer s.mu.Unlock()
	if output <= 0 {
		output = int(s.output.v)
	}
	if s.decode.v > 0 {
		t += float64(output) / s.decode.v
	}
	if !loaded {
		t += s.load.v
	}
	return t
}

// ewma is an exponentially weighted mean that trusts its first values more
// (a plain running mean until it has a few).
type ewma struct {
	v float64
	n int
}

func (e *ewma) add(x float64) {
	e.n++
	w := max(1/float64(e.n), 0.2)
	e.v += w * (x - e.v)
}

// LastReply guesses what an engine's prompt cache holds from the replies
// it gave: the last prompt and its answer, since an agent's next turn
// usually extends them. It is for engines that do not say (Ollama counts
// cache hits in prompt_eval_count but times only the rest; an
// OpenAI-compatible engine's usage may carry no cached count). The guess
// can only make a measured speed lower, never higher.
type LastReply struct {
	mu             sync.Mutex
	prompt, output int
}

// Next records a reply of prompt and output tokens and returns what of the
// prompt was likely cached, and whether it repeats the last one's size
// (then it may have come from the cache whole: Observation.Repeat).
func (l *LastReply) Next(prompt, output int) (cached int, repeat bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.prompt > 0 && prompt > l.prompt+l.output {
		cached = l.prompt + l.output
	}
	repeat = prompt == l.prompt
	l.prompt, l.output = prompt, output
	return cached, repeat
}

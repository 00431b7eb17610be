package limits

import (
	"math"
	"strings"
	"testing"
	"time"
)

// Qwen3-Coder-30B-A3B's published shape (config.json: 48 layers, 4 KV
// heads, head_dim 128) and PROVIDERS.md §5.2's figures.
var qwen3Coder = KVShape{BlockCount: 48, HeadCountKV: 4, KeyLength: 128, ValueLength: 128}

func TestKVBytesPerTokenQwen3Coder(t *testing.T) {
	cases := []struct {
		typ  string
		want int64
	}{{"f16", 96 << 10}, {"q8_0", 52224}, {"q4_0", 27648}, {"", 96 << 10}}
	for _, c := range cases {
		got, err := KVBytesPerToken(qwen3Coder, c.typ)
		if err != nil || got != c.want {
			t.Errorf("%s: %d, %v; want %d", c.typ, got, err, c.want)
		}
	}
	// 262,144 tokens at f16: exactly 24 GiB; at q8_0 12.75 GiB.
	f16, _ := KVBytesPerToken(qwen3Coder, "f16")
	if f16*262144 != 24<<30 {
		t.Errorf("f16 at 262144 = %d", f16*262144)
	}
	q8, _ := KVBytesPerToken(qwen3Coder, "q8_0")
	if got := float64(q8*262144) / (1 << 30); got != 12.75 {
		t.Errorf("q8_0 at 262144 = %.2f GiB", got)
	}
	if _, err := KVBytesPerToken(qwen3Coder, "q5_1"); err == nil {
		t.Error("unknown type accepted")
	}
	if _, err := KVBytesPerToken(KVShape{}, "f16"); err == nil {
		t.Error("unknown shape accepted")
	}
}

func TestWindowFor(t *testing.T) {
	kv, _ := KVBytesPerToken(qwen3Coder, "f16")
	weights := int64(19_971_000_000) // qwen3-coder:30b Q4_K_M, ~18.6 GiB on disk
	// The seed's 64 GB machine: the native window fits (≈ 42.6 GiB needed).
	f := WindowFor(262144, 0, kv, weights, 64<<30)
	if f.Window != 262144 || !f.Fits || f.Capped {
		t.Errorf("64 GiB: %+v", f)
	}
	// A 32 GiB machine: it does not, and the window is capped to what does.
	f = WindowFor(262144, 0, kv, weights, 32<<30)
	if !f.Capped || !f.Fits || f.Window >= 262144 || f.Window%1024 != 0 {
		t.Fatalf("32 GiB: %+v", f)
	}
	if f.Need() > f.Budget || f.Need()+1024*kv <= f.Budget {
		t.Errorf("not the largest window that fits: need %d budget %d", f.Need(), f.Budget)
	}
	if !strings.Contains(f.Explain(), "native 262144") {
		t.Errorf("explain: %s", f.Explain())
	}
	// An explicit window is used as given, and said not to fit.
	f = WindowFor(262144, 262144, kv, weights, 32<<30)
	if f.Window != 262144 || f.Fits {
		t.Errorf("explicit: %+v", f)
	}
	// Unknown shape: no memory check.
	f = WindowFor(262144, 0, 0, weights, 32<<30)
	if f.Window != 262144 || !f.Fits {
		t.Errorf("unknown shape: %+v", f)
	}
	// Weights alone exceed memory.
	f = WindowFor(262144, 0, kv, 40<<30, 16<<30)
	if f.Fits || f.Window != 0 {
		t.Errorf("too small: %+v", f)
	}
}

func TestSpeedStartsFromConfigured(t *testing.T) {
	s := NewSpeed(400, 30, 10*time.Second)
	// The seed: 146,760 tokens at 400 tokens/s is 367 s, over a 5-minute timeout.
	if got := s.PrefillSeconds(146760, 0); math.Abs(got-366.9) > 0.5 {
		t.Errorf("prefill %f", got)
	}
	if got := s.Predict(146760, 0, 300, true); math.Abs(got-376.9) > 0.5 {
		t.Errorf("predict %f", got)
	}
	if got := s.Predict(1000, 0, 30, false); math.Abs(got-13.5) > 0.1 {
		t.Errorf("cold %f", got)
	}
	// No output budget: a typical answer (256 tokens until one is seen).
	if got := s.Predict(1000, 0, 0, true); math.Abs(got-(2.5+256.0/30)) > 0.1 {
		t.Errorf("typical output %f", got)
	}
	s.Observe(Observation{Output: 40, OutputDuration: 4 * time.Second / 3})
	if got := s.Predict(1000, 0, 0, true); got >= 2.5+256.0/30 {
		t.Errorf("short answers seen, still predicting long ones: %f", got)
	}
}

// TestSpeedLearnsDepthSlowdown feeds observations from a model whose time
// per token grows with depth and checks the prediction at a depth never
// observed.
func TestSpeedLearnsDepthSlowdown(t *testing.T) {
	const a, b = 1.0 / 1000, 1.0 / 1000 / 50000 // 1000 tok/s at depth 0, half speed at 50K
	truth := func(n, c int) float64 {
		N, C := float64(n), float64(c)
		return a*(N-C) + b*(N*N-C*C)/2
	}
	s := NewSpeed(400, 30, 0)
	for _, n := range []int{2000, 8000, 16000, 30000, 45000, 60000, 12000, 70000} {
		s.Observe(Observation{Prompt: n, PromptDuration: time.Duration(truth(n, 0) * float64(time.Second))})
	}
	for _, n := range []int{100000, 146760} {
		got, want := s.PrefillSeconds(n, 0), truth(n, 0)
		if math.Abs(got-want)/want > 0.05 {
			t.Errorf("%d tokens: predicted %.1f s, truth %.1f s", n, got, want)
		}
	}
	// A cached prefix costs nothing.
	if got, want := s.PrefillSeconds(70000, 60000), truth(70000, 60000); math.Abs(got-want)/want > 0.05 {
		t.Errorf("cached: %.2f vs %.2f", got, want)
	}
	if s.Observed() != 8 {
		t.Errorf("observed %d", s.Observed())
	}
}

func TestSpeedIgnoresTinyAndLearnsDecode(t *testing.T) {
	s := NewSpeed(400, 30, 0)
	s.Observe(Observation{Prompt: 10, PromptDuration: time.Millisecond}) // too small to time
	if s.Observed() != 0 {
		t.Error("tiny prompt observed")
	}
	for i := 0; i < 20; i++ {
		s.Observe(Observation{Output: 100, OutputDuration: 2 * time.Second})
	}
	if d := s.DecodeTPS(); math.Abs(d-50) > 1 {
		t.Errorf("decode %f", d)
	}
}

// TestSpeedIgnoresCacheHits: Ollama reports a repeated prompt's whole size
// in prompt_eval_count but only the time to process the uncached rest
// (0.17.4 measured: 3000 tokens in ~860 ms cold, ~6 ms repeated).
func TestSpeedIgnoresCacheHits(t *testing.T) {
	s := NewSpeed(3500, 30, 0)
	s.Observe(Observation{Prompt: 3000, PromptDuration: 860 * time.Millisecond})
	before := s.PrefillTPS()
	s.Observe(Observation{Prompt: 3000, PromptDuration: 6 * time.Millisecond, Repeat: true})
	if after := s.PrefillTPS(); after > before*1.5 {
		t.Errorf("a cache hit taught a speed of %.0f tokens/s (was %.0f)", after, before)
	}
	if s.Observed() != 1 {
		t.Errorf("observed %d", s.Observed())
	}
}

// TestSpeedFasterThanConfigured: a machine much faster than its configured
// speed is believed after a few consistent observations.
func TestSpeedFasterThanConfigured(t *testing.T) {
	s := NewSpeed(400, 30, 0)
	for i := 0; i < 6; i++ {
		s.Observe(Observation{Prompt: 8000 + i*1000, PromptDuration: time.Duration(float64(8000+i*1000) / 8000 * float64(time.Second))})
	}
	if tps := s.PrefillTPSAt(8000); tps < 2000 {
		t.Errorf("still predicting %.0f tokens/s on a machine doing 8000", tps)
	}
}

func TestSpeedPointsAreTheFitsObservations(t *testing.T) {
	s := NewSpeed(400, 30, 0)
	if p := s.Points(); len(p) != 0 {
		t.Fatalf("no observation yet, points %v", p)
	}
	// Too small to fit: not a point.
	s.Observe(Observation{Prompt: 40, PromptDuration: time.Second})
	for i := 1; i <= keptPoints+6; i++ {
		s.Observe(Observation{Prompt: 1000 * i, Cached: 10, PromptDuration: time.Duration(i) * time.Second})
	}
	p := s.Points()
	if len(p) != keptPoints {
		t.Fatalf("%d points, want the last %d", len(p), keptPoints)
	}
	if first, last := p[0], p[len(p)-1]; first.Prompt != 7000 || first.Seconds != 7 || first.Cached != 10 || last.Prompt != 1000*(keptPoints+6) {
		t.Fatalf("points run %+v … %+v, want 7000 tokens in 7 s first, the newest last", first, last)
	}
}

// TestLastReply: a turn that extends the last prompt and its answer is
// taken to find them cached; a prompt of the same size may be a repeat;
// anything else finds nothing cached.
func TestLastReply(t *testing.T) {
	var l LastReply
	for _, c := range []struct {
		prompt, output, cached int
		repeat                 bool
	}{
		{1000, 50, 0, false},
		{1200, 40, 1050, false}, // the last prompt and answer, and a new message
		{1200, 30, 0, true},     // the same size again
		{900, 10, 0, false},     // shorter: another conversation
		{905, 10, 0, false},     // longer, but not by the last answer
	} {
		if cached, repeat := l.Next(c.prompt, c.output); cached != c.cached || repeat != c.repeat {
			t.Errorf("prompt %d: cached %d repeat %v, want %d %v", c.prompt, cached, repeat, c.cached, c.repeat)
		}
	}
}

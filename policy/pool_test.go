package policy

import (
	"slices"
	"strings"
	"testing"
)

// poolProviders is a pool of two local engines (this machine's Ollama and
// a DGX Spark in the office) beside the clouds.
func poolProviders() []Candidate {
	return []Candidate{
		{Name: "local", Local: true, Pool: "office", Window: 262144, PredictedSeconds: 10, SlowAfterSeconds: 300},
		{Name: "spark", Local: true, Pool: "office", Window: 262144, PredictedSeconds: 10, SlowAfterSeconds: 300},
		{Name: "devstral", Window: 262144, TokenFactor: 1.1},
		{Name: "gemini", Window: 1048576, TokenFactor: 1.2},
	}
}

func reasonCodes(d Decision) []string {
	var out []string
	for _, r := range d.Reasons {
		out = append(out, r.Code)
	}
	return out
}

// TestPoolSeedCachedTurnStaysLocal is the seed's conversation on a pool:
// at ~400 tokens/s of prefill, turn one (146,760 tokens, nothing cached)
// is predicted at 367 s on either member, over the 300 s limit, so the
// public job goes to the cloud for time. A later turn that adds 2,000
// tokens to the prefix a member holds prefills 2,000 tokens there: about
// 5 s, so it stays local, on that member.
func TestPoolSeedCachedTurnStaysLocal(t *testing.T) {
	s := settings
	s.HeavyMinTokens = 0 // heavy is a preference of its own; this is about time
	const speed = 400.0
	pub := Job{Privacy: Public, PrivacySource: "repo /src/pub/.switchyard.yaml"}

	first := pub
	first.PromptTokens = 146760
	provs := poolProviders()
	provs[0].PredictedSeconds, provs[1].PredictedSeconds = 146760/speed, 146760/speed
	d := Decide(first, provs, s)
	if d.Code() != "too_slow_for_local" || d.Chosen() != "devstral" {
		t.Fatalf("turn one: %s to %v (%v), want too_slow_for_local to devstral first", d.Code(), d.Plan, d.Reasons)
	}

	later := pub
	later.PromptTokens = 146760 + 2000
	provs = poolProviders()
	provs[0].PredictedSeconds = 148760 / speed // nothing of it cached here
	provs[1].Affinity, provs[1].CachedTokens = true, 146760
	provs[1].PredictedSeconds = 2000 / speed
	d = Decide(later, provs, s)
	if d.Code() != "local_first" || !slices.Equal(d.Plan, []string{"spark", "local", "devstral", "gemini"}) {
		t.Fatalf("later turn: %s to %v (%v), want local_first to spark, local, then the clouds", d.Code(), d.Plan, d.Reasons)
	}
	i := slices.Index(reasonCodes(d), "pool_quickest")
	if i < 0 {
		t.Fatalf("no pool reason: %v", d.Reasons)
	}
	if text := d.Reasons[i].Text; !strings.Contains(text, "spark") || !strings.Contains(text, "146760 of the prompt's 148760 tokens in its cache") {
		t.Errorf("the pool's reason does not name the member and what it holds: %q", text)
	}
}

// TestPoolAffinityMargin: the member that served the conversation is
// preferred while its predicted time is within the margin of the
// quickest, and not beyond it.
func TestPoolAffinityMargin(t *testing.T) {
	job := Job{Privacy: Private, PromptTokens: 20000}
	for _, tc := range []struct {
		name           string
		affine, other  float64
		margin         float64
		want, wantCode string
	}{
		{"within-default-margin", 12, 10, 0, "spark", "pool_affinity"},
		{"at-the-margin", 12.5, 10, 0, "spark", "pool_affinity"},
		{"beyond-default-margin", 13, 10, 0, "local", "pool_quickest"},
		{"beyond-a-tight-margin", 12, 10, 0.1, "local", "pool_quickest"},
		{"within-a-wide-margin", 19, 10, 1, "spark", "pool_affinity"},
		{"affine-is-quickest", 8, 10, 0, "spark", "pool_quickest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			provs := poolProviders()
			provs[0].PredictedSeconds = tc.other
			provs[1].PredictedSeconds, provs[1].Affinity = tc.affine, true
			for i := range provs[:2] {
				provs[i].AffinityMargin = tc.margin
			}
			d := Decide(job, provs, settings)
			if d.Chosen() != tc.want || !slices.Contains(reasonCodes(d), tc.wantCode) {
				t.Fatalf("chose %s (%v), want %s with %s", d.Chosen(), d.Reasons, tc.want, tc.wantCode)
			}
			if len(d.Plan) != 2 {
				t.Errorf("a private job's plan %v holds more than the pool", d.Plan)
			}
		})
	}
}

// TestPoolPrivateStaysInPool: a private job runs on any member of the
// pool that can take it and on nothing else: a member that is down or too
// small is left out, and with every member out the job is refused, never
// sent to a cloud.
func TestPoolPrivateStaysInPool(t *testing.T) {
	job := Job{Privacy: Private, PromptTokens: 100000}
	provs := poolProviders()
	provs[0].Unavailable = "Ollama at http://127.0.0.1:11434 does not answer"
	d := Decide(job, provs, settings)
	if !slices.Equal(d.Plan, []string{"spark"}) {
		t.Fatalf("plan %v, want spark alone", d.Plan)
	}
	provs[1].Window = 65536
	d = Decide(job, provs, settings)
	if d.Refusal == nil || len(d.Plan) != 0 {
		t.Fatalf("every member out: plan %v, refusal %v; want a refusal", d.Plan, d.Refusal)
	}
	// A cooling-down member is still tried, last.
	provs = poolProviders()
	provs[0].CoolingDown = true
	provs[0].PredictedSeconds = 1
	d = Decide(job, provs, settings)
	if !slices.Equal(d.Plan, []string{"spark", "local"}) {
		t.Fatalf("plan %v, want spark, then the cooling-down local", d.Plan)
	}
}

// TestPoolOrder: members are ordered by predicted time where the pool's
// first member stood, those that cannot predict after them; providers
// outside pools keep their configured order.
func TestPoolOrder(t *testing.T) {
	provs := []Candidate{
		{Name: "laptop", Local: true, Window: 32768, PredictedSeconds: 50},
		{Name: "a", Local: true, Pool: "p", Window: 32768},
		{Name: "b", Local: true, Pool: "p", Window: 32768, PredictedSeconds: 30},
		{Name: "c", Local: true, Pool: "p", Window: 32768, PredictedSeconds: 20},
		{Name: "desk", Local: true, Window: 32768, PredictedSeconds: 1},
	}
	d := Decide(Job{Privacy: Private, PromptTokens: 1000}, provs, settings)
	if want := []string{"laptop", "c", "b", "a", "desk"}; !slices.Equal(d.Plan, want) {
		t.Fatalf("plan %v, want %v", d.Plan, want)
	}
}

// TestPoolEngineLoad: a member whose engine is busy with other clients'
// requests is charged for them and loses to an idle one; members that
// cannot predict are ordered by what their engines say, and the reason
// names the numbers.
func TestPoolEngineLoad(t *testing.T) {
	provs := poolProviders()
	provs[0].PredictedSeconds, provs[0].EngineJobs, provs[0].ForeignJobs, provs[0].ForeignSeconds = 10+30, 3, 3, 30
	d := Decide(Job{Privacy: Private, PromptTokens: 1000}, provs, settings)
	if d.Plan[0] != "spark" {
		t.Fatalf("plan %v, want the idle member first", d.Plan)
	}
	provs[1].PredictedSeconds = 50
	d = Decide(Job{Privacy: Private, PromptTokens: 1000}, provs, settings)
	if d.Plan[0] != "local" || !strings.Contains(strings.Join(reasonTexts(d), "\n"), "(40 s, 30 s of it behind 3 requests of other clients") {
		t.Fatalf("plan %v, reasons %v", d.Plan, d.Reasons)
	}
	// An engine with a slot free runs the job beside other clients'
	// requests: they cost it no wait, and the reason says why.
	provs[0].PredictedSeconds, provs[0].ForeignSeconds = 10, 0
	d = Decide(Job{Privacy: Private, PromptTokens: 1000}, provs, settings)
	if d.Plan[0] != "local" || !strings.Contains(strings.Join(reasonTexts(d), "\n"), "(10 s, a slot free beside 3 requests of other clients") {
		t.Fatalf("a slot free: plan %v, reasons %v", d.Plan, d.Reasons)
	}
	provs = poolProviders()
	for i := range provs[:2] {
		provs[i].PredictedSeconds = 0
	}
	provs[0].EngineJobs = 2
	d = Decide(Job{Privacy: Private, PromptTokens: 1000}, provs, settings)
	if d.Plan[0] != "spark" || d.Plan[1] != "local" {
		t.Fatalf("unpredicted: plan %v, want the idle engine first", d.Plan)
	}
	provs[1].EngineJobs = 5
	d = Decide(Job{Privacy: Private, PromptTokens: 1000}, provs, settings)
	if d.Plan[0] != "local" || !strings.Contains(strings.Join(reasonTexts(d), "\n"), "its engine says 2 requests running or waiting") {
		t.Fatalf("unpredicted, both busy: plan %v, reasons %v", d.Plan, d.Reasons)
	}
}

func reasonTexts(d Decision) []string {
	var out []string
	for _, r := range d.Reasons {
		out = append(out, r.Text)
	}
	return out
}

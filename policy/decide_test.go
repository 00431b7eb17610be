package policy

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// The seed's setup: a local model capped at 131072 by its definition but
// supporting 262144, Devstral at 256K, Gemini at 1M.
func seedProviders() []Candidate {
	return []Candidate{
		{Name: "local", Local: true, Window: 262144, PredictedSeconds: 10, SlowAfterSeconds: 300},
		{Name: "devstral", Window: 262144, TokenFactor: 1.1},
		{Name: "gemini", Window: 1048576, TokenFactor: 1.2},
	}
}

var settings = Settings{DefaultPrivacy: Private, HeavyMinFiles: 5, HeavyMinTokens: 100000, Secrets: SecretsLocal, DefaultOutputTokens: 8192}

func TestDecide(t *testing.T) {
	type tc struct {
		name    string
		job     Job
		provs   func([]Candidate) []Candidate
		s       func(Settings) Settings
		plan    []string
		code    string // first reason code, or refusal code
		refusal bool
		msg     []string // substrings of the refusal message
	}
	pub := func(j Job) Job { j.Privacy = Public; j.PrivacySource = "repo /src/pub/.switchyard.yaml"; return j }
	priv := func(j Job) Job { j.Privacy = Private; j.PrivacySource = "repo /src/priv/.switchyard.yaml"; return j }
	cases := []tc{
		{name: "private-small-local", job: priv(Job{PromptTokens: 1000}), plan: []string{"local"}, code: "private"},
		{name: "zero-privacy-is-private", job: Job{PromptTokens: 1000}, plan: []string{"local"}, code: "private"},
		{name: "public-small-local-first", job: pub(Job{PromptTokens: 1000}), plan: []string{"local", "devstral", "gemini"}, code: "local_first"},
		{name: "public-heavy-files", job: pub(Job{PromptTokens: 1000, Files: 5}), plan: []string{"devstral", "gemini", "local"}, code: "heavy"},
		{name: "public-heavy-tokens", job: pub(Job{PromptTokens: 100000}), plan: []string{"devstral", "gemini", "local"}, code: "heavy"},
		{name: "heavy-disabled", job: pub(Job{PromptTokens: 100000, Files: 50}),
			s: func(s Settings) Settings { s.HeavyMinFiles, s.HeavyMinTokens = 0, 0; return s }, plan: []string{"local", "devstral", "gemini"}, code: "local_first"},
		{name: "seed-public-too-slow", job: pub(Job{PromptTokens: 146760}),
			provs: func(p []Candidate) []Candidate { p[0].PredictedSeconds = 367; return p },
			s:     func(s Settings) Settings { s.HeavyMinTokens = 0; return s },
			plan:  []string{"devstral", "gemini", "local"}, code: "too_slow_for_local"},
		{name: "seed-public-too-large-for-capped-local", job: pub(Job{PromptTokens: 146760}),
			provs: func(p []Candidate) []Candidate { p[0].Window, p[0].NativeWindow = 131072, 262144; return p },
			plan:  []string{"devstral", "gemini"}, code: "too_large_for_local"},
		{name: "seed-private-too-large-refused", job: priv(Job{PromptTokens: 146760}),
			provs:   func(p []Candidate) []Candidate { p[0].Window, p[0].NativeWindow = 131072, 262144; return p },
			refusal: true, code: CodeContextLength, msg: []string{"146760", "131072", "262144", "private", "context_window"}},
		{name: "seed-private-slow-served", job: priv(Job{PromptTokens: 146760}),
			provs: func(p []Candidate) []Candidate { p[0].PredictedSeconds = 367; return p },
			plan:  []string{"local"}, code: "private"},
		{name: "public-devstral-too-small-goes-gemini", job: pub(Job{PromptTokens: 300000}),
			plan: []string{"gemini"}, code: "too_large_for_local"},
		// The engine's own count wins over the estimate: 120000 estimated,
		// 140000 as the engine counts, in a window of 131072.
		{name: "engine-count-refuses-private", job: priv(Job{PromptTokens: 120000, OutputTokens: 1000}),
			provs:   func(p []Candidate) []Candidate { p[0].Window, p[0].PromptTokens = 131072, 140000; return p },
			refusal: true, code: CodeContextLength, msg: []string{"140000", "131072"}},
		{name: "token-factor-pushes-past-devstral", job: pub(Job{PromptTokens: 240000}),
			plan: []string{"gemini", "local"}, code: "heavy"},
		{name: "too-large-everywhere", job: pub(Job{PromptTokens: 2000000}), refusal: true, code: CodeContextLength, msg: []string{"gemini", "1048576"}},
		{name: "output-budget-counts", job: priv(Job{PromptTokens: 250000, OutputTokens: 20000}), refusal: true, code: CodeContextLength, msg: []string{"20000 output tokens", "fewer output tokens"}},
		{name: "defaulted-output-needs-only-room", job: priv(Job{PromptTokens: 260000}), plan: []string{"local"}, code: "private"},
		{name: "clouds-list-restricts", job: pub(Job{PromptTokens: 1000, Files: 9, Clouds: []string{"gemini"}}),
			plan: []string{"gemini", "local"}, code: "heavy"},
		{name: "no-key-skipped", job: pub(Job{PromptTokens: 1000, Files: 9}),
			provs: func(p []Candidate) []Candidate { p[1].Unavailable = "MISTRAL_API_KEY is not set"; return p },
			plan:  []string{"gemini", "local"}, code: "heavy"},
		{name: "cooling-down-tried-last", job: pub(Job{PromptTokens: 1000}),
			provs: func(p []Candidate) []Candidate { p[0].CoolingDown = true; return p },
			plan:  []string{"devstral", "gemini", "local"}, code: "local_first"},
		{name: "private-cooling-local-still-tried", job: priv(Job{PromptTokens: 1000}),
			provs: func(p []Candidate) []Candidate { p[0].CoolingDown = true; return p },
			plan:  []string{"local"}, code: "private"},
		{name: "private-no-local-at-all", job: priv(Job{PromptTokens: 1000}),
			provs:   func(p []Candidate) []Candidate { return p[1:] },
			refusal: true, code: CodeUnavailable},
		{name: "secret-makes-private", job: pub(Job{PromptTokens: 1000, Files: 9, Secrets: []string{"aws-access-key"}}),
			plan: []string{"local"}, code: "private"},
		{name: "secret-refused", job: pub(Job{PromptTokens: 1000, Secrets: []string{"private-key"}}),
			s:       func(s Settings) Settings { s.Secrets = SecretsRefuse; return s },
			refusal: true, code: CodePrivacy, msg: []string{"private-key", "policy.secrets"}},
		{name: "secret-ignored", job: pub(Job{PromptTokens: 1000, Files: 9, Secrets: []string{"jwt"}}),
			s:    func(s Settings) Settings { s.Secrets = SecretsIgnore; return s },
			plan: []string{"devstral", "gemini", "local"}, code: "heavy"},
		{name: "model-local", job: pub(Job{Model: "local", PromptTokens: 1000, Files: 9}),
			provs: func(p []Candidate) []Candidate { p[0].Name = "ollama"; return p },
			plan:  []string{"ollama"}, code: "local"},
		{name: "model-cloud-public", job: pub(Job{Model: "cloud", PromptTokens: 1000}), plan: []string{"devstral", "gemini"}, code: "cloud"},
		{name: "model-cloud-private-refused", job: priv(Job{Model: "cloud", PromptTokens: 1000}), refusal: true, code: CodePrivacy, msg: []string{"private"}},
		{name: "pin-gemini-private-refused", job: priv(Job{Model: "gemini", PromptTokens: 1000}), refusal: true, code: CodePrivacy, msg: []string{"gemini"}},
		{name: "pin-gemini-public", job: pub(Job{Model: "gemini", PromptTokens: 1000}), plan: []string{"gemini"}, code: "pinned"},
		{name: "pin-outside-clouds-list", job: pub(Job{Model: "gemini", PromptTokens: 1000, Clouds: []string{"devstral"}}), refusal: true, code: CodePrivacy},
		{name: "pin-unavailable", job: pub(Job{Model: "devstral", PromptTokens: 1000}),
			provs:   func(p []Candidate) []Candidate { p[1].Unavailable = "MISTRAL_API_KEY is not set"; return p },
			refusal: true, code: CodeUnavailable, msg: []string{"MISTRAL_API_KEY"}},
		{name: "pin-local-name", job: priv(Job{Model: "local", PromptTokens: 1000}), plan: []string{"local"}, code: "pinned"},
		{name: "unknown-model-is-auto", job: priv(Job{Model: "gpt-4o", PromptTokens: 1000}), plan: []string{"local"}, code: "private"},
		{name: "unknown-model-alias-word", job: pub(Job{Model: "claude-sonnet-4-5", PromptTokens: 1000}),
			s: func(s Settings) Settings { s.UnknownModel = ModelCloud; return s }, plan: []string{"devstral", "gemini"}, code: "cloud"},
		{name: "unknown-model-alias-provider", job: pub(Job{Model: "claude-haiku-4-5", PromptTokens: 1000}),
			s: func(s Settings) Settings { s.UnknownModel = "gemini"; return s }, plan: []string{"gemini"}, code: "pinned"},
		{name: "unknown-model-alias-private-stays", job: priv(Job{Model: "claude-haiku-4-5", PromptTokens: 1000}),
			s: func(s Settings) Settings { s.UnknownModel = "gemini"; return s }, refusal: true, code: CodePrivacy},
		{name: "known-model-beats-alias", job: pub(Job{Model: "local", PromptTokens: 1000}),
			s: func(s Settings) Settings { s.UnknownModel = ModelCloud; return s }, plan: []string{"local"}, code: "pinned"},
		{name: "local-window-unknown-public", job: pub(Job{PromptTokens: 1000}),
			provs: func(p []Candidate) []Candidate { p[0].Window = 0; return p },
			plan:  []string{"devstral", "gemini"}, code: "too_large_for_local"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			provs := seedProviders()
			if c.provs != nil {
				provs = c.provs(provs)
			}
			s := settings
			if c.s != nil {
				s = c.s(s)
			}
			d := Decide(c.job, provs, s)
			if c.refusal {
				if d.Refusal == nil {
					t.Fatalf("want refusal %s, got plan %v (%v)", c.code, d.Plan, d.Reasons)
				}
				if d.Refusal.Code != c.code || len(d.Plan) != 0 || d.Chosen() != "" {
					t.Errorf("refusal %+v plan %v", d.Refusal, d.Plan)
				}
				for _, m := range c.msg {
					if !strings.Contains(d.Refusal.Message, m) {
						t.Errorf("message lacks %q: %s", m, d.Refusal.Message)
					}
				}
				return
			}
			if d.Refusal != nil {
				t.Fatalf("refused: %+v", d.Refusal)
			}
			if !slices.Equal(d.Plan, c.plan) {
				t.Errorf("plan %v, want %v; reasons %v", d.Plan, c.plan, d.Reasons)
			}
			if d.Code() != c.code {
				t.Errorf("code %q, want %q; reasons %v", d.Code(), c.code, d.Reasons)
			}
		})
	}
}

func TestDefaultedOutputCapped(t *testing.T) {
	d := Decide(Job{PromptTokens: 260000}, seedProviders(), settings)
	if !d.OutputDefaulted || d.OutputTokens != 262144-260000 {
		t.Errorf("output %d defaulted %v", d.OutputTokens, d.OutputDefaulted)
	}
	d = Decide(Job{PromptTokens: 1000}, seedProviders(), settings)
	if d.OutputTokens != 8192 {
		t.Errorf("output %d", d.OutputTokens)
	}
}

func TestDecisionFields(t *testing.T) {
	j := Job{Privacy: Public, PrivacySource: "repo /r/.switchyard.yaml", Repo: "/r", PromptTokens: 1234, TokensExact: true, OutputTokens: 500, Files: 3}
	d := Decide(j, seedProviders(), settings)
	if d.Repo != "/r" || d.PromptTokens != 1234 || !d.TokensExact || d.OutputTokens != 500 || d.Files != 3 ||
		d.LocalWindow != 262144 || d.PredictedLocalSeconds != 10 || d.Privacy != Public {
		t.Errorf("%+v", d)
	}
}

// TestPrivateNeverCloud is the property the whole project rests on: over
// many random jobs and provider states, a job that is not public never has a
// cloud provider in its plan, and a job with a credential under
// policy.secrets local never does either.
func TestPrivateNeverCloud(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	models := []string{"", "auto", "local", "cloud", "devstral", "gemini", "local2", "gpt-4o"}
	privacies := []Privacy{"", Private, Public, "PUBLIC", "public "}
	for i := 0; i < 20000; i++ {
		provs := []Candidate{
			{Name: "local", Local: true, Window: r.IntN(300000), PredictedSeconds: float64(r.IntN(1000)), SlowAfterSeconds: 300, CoolingDown: r.IntN(4) == 0},
			{Name: "devstral", Window: r.IntN(300000), TokenFactor: r.Float64() * 2, CoolingDown: r.IntN(4) == 0},
			{Name: "local2", Local: true, Window: r.IntN(300000), CoolingDown: r.IntN(4) == 0},
			{Name: "gemini", Window: r.IntN(2000000), CoolingDown: r.IntN(4) == 0},
			{Name: "spark", Local: true, Window: r.IntN(300000), PredictedSeconds: float64(r.IntN(1000)), SlowAfterSeconds: 300},
		}
		for j := range provs {
			if r.IntN(5) == 0 {
				provs[j].Unavailable = "down"
			}
			// Pools, with what a member holds of the conversation.
			if provs[j].Local && r.IntN(2) == 0 {
				provs[j].Pool, provs[j].Affinity = "office", r.IntN(2) == 0
				provs[j].CachedTokens, provs[j].AffinityMargin = r.IntN(300000), r.Float64()
			}
		}
		r.Shuffle(len(provs), func(a, b int) { provs[a], provs[b] = provs[b], provs[a] })
		job := Job{
			Model:        models[r.IntN(len(models))],
			Privacy:      privacies[r.IntN(len(privacies))],
			PromptTokens: r.IntN(400000),
			OutputTokens: r.IntN(3) * r.IntN(40000),
			Files:        r.IntN(10),
		}
		if r.IntN(3) == 0 {
			job.Clouds = []string{"gemini"}
		}
		if r.IntN(4) == 0 {
			job.Secrets = []string{"github-token"}
		}
		s := settings
		s.Secrets = []string{SecretsLocal, SecretsRefuse, SecretsIgnore, ""}[r.IntN(4)]
		d := Decide(job, provs, s)
		mustStayLocal := job.Privacy != Public || (len(job.Secrets) > 0 && s.Secrets != SecretsIgnore)
		isLocal := map[string]bool{}
		for _, p := range provs {
			isLocal[p.Name] = p.Local
		}
		for _, name := range d.Plan {
			if mustStayLocal && !isLocal[name] {
				t.Fatalf("job %+v settings %+v: plan %v contains cloud %s", job, s, d.Plan, name)
			}
			if !isLocal[name] && job.Clouds != nil && !slices.Contains(job.Clouds, name) {
				t.Fatalf("job %+v: plan %v uses %s outside the repo's clouds", job, d.Plan, name)
			}
		}
		if (d.Refusal == nil) == (len(d.Plan) == 0) {
			t.Fatalf("job %+v: plan %v refusal %+v", job, d.Plan, d.Refusal)
		}
		if mustStayLocal && d.Privacy != Private {
			t.Fatalf("job %+v: decision privacy %q", job, d.Privacy)
		}
	}
}

func BenchmarkDecide(b *testing.B) {
	provs := seedProviders()
	job := Job{Privacy: Public, PromptTokens: 50000, Files: 3}
	b.ReportAllocs()
	for b.Loop() {
		Decide(job, provs, settings)
	}
}

// A context-length refusal carries its numbers for the dialects that say
// them in their own words: the prompt as counted for the widest window the
// job may use (Gemini's token factor 1.2 applied), the output budget, and
// that window.
func TestTooLargeNumbers(t *testing.T) {
	job := Job{Privacy: Public, PromptTokens: 1000000, OutputTokens: 1000}
	d := Decide(job, seedProviders(), settings)
	if d.Refusal == nil || d.Refusal.Code != CodeContextLength {
		t.Fatalf("not refused: %+v", d)
	}
	if r := d.Refusal; r.Tokens != 1200000 || r.Output != 1000 || r.Limit != 1048576 {
		t.Errorf("numbers %d + %d > %d, want 1200000 + 1000 > 1048576", r.Tokens, r.Output, r.Limit)
	}
	job = Job{Privacy: Private, PromptTokens: 300000, OutputTokens: 1000}
	if r := Decide(job, seedProviders(), settings).Refusal; r == nil || r.Tokens != 300000 || r.Limit != 262144 {
		t.Errorf("a private job is measured against the local window alone: %+v", r)
	}
}

package policy

// Job is what the HTTP layer learned about one request.
type Job struct {
	// Model is the model the client asked for: "auto", "local", "cloud", a
	// provider name, or anything else (treated as "auto").
	Model string
	// Privacy is the job's privacy after every source was considered
	// (repository policy files, the X-Switchyard-Privacy header, the
	// default). The zero value counts as Private.
	Privacy Privacy
	// PrivacySource says where Privacy came from, for people.
	PrivacySource string
	// Repo is the repository the job belongs to, "" if unknown.
	Repo string
	// Clouds, when non-nil, are the only cloud providers the repository allows.
	Clouds []string
	// PrivateFile, when set, says which file the conversation references
	// made the job private, and by which policy (PrivacyResult.PrivateFile).
	PrivateFile string
	// PromptTokens is the estimated prompt size for the local model's
	// tokenizer, chat template included.
	PromptTokens int
	// TokensExact is true when PromptTokens came from the model's own
	// vocabulary, false when it is a calibrated estimate.
	TokensExact bool
	// OutputTokens is the output budget the client asked for; 0 when it
	// asked for none (then Settings.DefaultOutputTokens applies).
	OutputTokens int
	// Files is the number of distinct files the job involves.
	Files int
	// Secrets lists the kinds of credential found in the prompt, if any.
	Secrets []string
}

// Candidate is one upstream as the policy sees it for one job: its window,
// availability and predicted time. (configs.Provider is its configuration,
// providers.Provider the adapter that talks to it, router.Upstream the
// router's handle on both.)
type Candidate struct {
	Name  string
	Local bool
	// Window is the context window switchyard will use with this provider,
	// in tokens; 0 means unknown (treated as fitting nothing).
	Window int
	// NativeWindow is what the model itself supports, when known and
	// different from Window (for the remedy in a refusal).
	NativeWindow int
	// Unavailable, when non-empty, says why the provider cannot be used
	// (no API key, not configured); it is skipped.
	Unavailable string
	// CoolingDown is true while the provider rests after repeated
	// failures; it goes to the end of the plan.
	CoolingDown bool
	// TokenFactor scales PromptTokens to this provider's tokenizer (a
	// learned correction for cloud models); 0 means 1.
	TokenFactor float64
	// PromptTokens is the prompt's size as this provider's engine counted
	// it, when it did (0: the job's estimate times TokenFactor).
	PromptTokens int
	// PredictedSeconds is how long the job is predicted to take on this
	// provider (local providers); 0 when not predicted.
	PredictedSeconds float64
	// SlowAfterSeconds is how long a local job may take before it counts as
	// too slow; 0 means no limit.
	SlowAfterSeconds float64
	// Pool names the local pool the provider is a member of ("" for
	// none). Members of one pool are ordered by choosePool: the one that
	// served the conversation before while it is nearly as quick as the
	// quickest, else the quickest. A pool's members are all Local.
	Pool string
	// AffinityMargin is how much slower than the pool's quickest member
	// (0.25: 25%) the member that served the conversation before may be
	// predicted and still be preferred; 0 means DefaultAffinityMargin.
	AffinityMargin float64
	// Affinity is true when this provider served the conversation's last
	// turn and may still hold its prefix in its prompt cache.
	Affinity bool
	// CachedTokens is how much of the prompt the provider is taken to hold
	// already (PredictedSeconds counts only the rest), and QueuedSeconds
	// how long the job is predicted to wait for the jobs switchyard has
	// running or waiting there (included in PredictedSeconds; on an
	// engine of several slots, a share of their time, 0 while a slot is
	// free).
	CachedTokens  int
	QueuedSeconds float64
	// EngineJobs is how many requests the member's engine says it is
	// running or has waiting, every client's (0 when it does not say);
	// ForeignJobs those of them switchyard did not send, and
	// ForeignSeconds how long the job is predicted to wait for them
	// (included in PredictedSeconds; as QueuedSeconds, 0 while a slot is
	// free). Members that cannot predict are ordered by EngineJobs.
	EngineJobs, ForeignJobs int
	ForeignSeconds          float64
}

// DefaultAffinityMargin is Candidate.AffinityMargin's default.
const DefaultAffinityMargin = 0.25

// AffinityMargin is the margin a pool configured as m uses: m, or
// DefaultAffinityMargin for 0.
func AffinityMargin(m float64) float64 {
	if m <= 0 {
		return DefaultAffinityMargin
	}
	return m
}

// Settings are the policy's configuration.
type Settings struct {
	// DefaultPrivacy applies when no repository is known. Zero = Private.
	DefaultPrivacy Privacy
	// HeavyMinFiles and HeavyMinTokens make a public job heavy (0 disables).
	HeavyMinFiles  int
	HeavyMinTokens int
	// Secrets is what to do with a prompt that holds a credential:
	// SecretsLocal, SecretsRefuse or SecretsIgnore. Zero = SecretsLocal.
	Secrets string
	// DefaultOutputTokens is the output budget assumed when a job asks for
	// none; 0 = 8192 (Decide is the one place that default is applied).
	DefaultOutputTokens int
	// UnknownModel is what a request's model means when it is neither a
	// routing word (auto, local, cloud) nor a provider's name: Claude Code
	// sends its own claude-… ids, Codex gpt-…. One of those words or a
	// provider's name; "" = auto.
	UnknownModel string
}

// What Settings.Secrets may say.
const (
	SecretsLocal  = "local"
	SecretsRefuse = "refuse"
	SecretsIgnore = "ignore"
)

// DefaultOutputTokens is the output budget assumed of a job that sets none
// when Settings.DefaultOutputTokens is 0.
const DefaultOutputTokens = 8192

// MinAnswerTokens is the room a job must leave for the answer when it set
// no output budget of its own: less than this and it does not fit.
const MinAnswerTokens = 1024

// Reason is one step of the decision's explanation.
type Reason struct {
	// Code is short and stable, for machines and the X-Switchyard-Reason header.
	Code string
	// Text is one sentence, with numbers, for people.
	Text string
}

func (r Reason) String() string { return r.Code + ": " + r.Text }

// Refusal codes, as in the contract's error table.
const (
	CodeContextLength = "context_length_exceeded"
	CodePrivacy       = "privacy_policy"
	CodeUnavailable   = "upstream_unavailable"
)

// Refusal is a decision not to run the job anywhere.
type Refusal struct {
	Code    string
	Message string
	// Tokens, Output and Limit are set for CodeContextLength: the prompt
	// as counted for the largest window, the output budget, and that
	// window.
	Tokens, Output, Limit int
}

// Decision is where a job may run and in what order, and why.
type Decision struct {
	// Plan is the providers to try, in order; empty when Refusal is set.
	Plan []string
	// PlanSeconds is the predicted time of each provider of Plan, in the
	// same order; 0 where the provider cannot predict.
	PlanSeconds []float64
	Privacy     Privacy
	// PrivacySource and Repo are copied from the Job.
	PrivacySource string
	Repo          string
	PromptTokens  int
	TokensExact   bool
	// OutputTokens is the output budget the plan assumes: the job's own, or
	// the default capped by what room the chosen window leaves.
	OutputTokens int
	// OutputDefaulted is true when the job set no output budget.
	OutputDefaulted bool
	Files           int
	Secrets         []string
	// LocalWindow is the first local provider's window (0 if none).
	LocalWindow int
	// PredictedLocalSeconds is the first local provider's prediction.
	PredictedLocalSeconds float64
	// Heavy is true when the job met policy.heavy.
	Heavy   bool
	Reasons []Reason
	Refusal *Refusal
}

// Chosen is the first provider of the plan, "" when refused.
func (d *Decision) Chosen() string {
	if len(d.Plan) == 0 {
		return ""
	}
	return d.Plan[0]
}

// Code is the decision's main reason code: the refusal's, else the first
// reason's.
func (d *Decision) Code() string {
	if d.Refusal != nil {
		return d.Refusal.Code
	}
	if len(d.Reasons) > 0 {
		return d.Reasons[0].Code
	}
	return "default"
}

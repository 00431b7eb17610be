package policy

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Routing words a request's model may be.
const (
	ModelAuto  = "auto"
	ModelLocal = "local"
	ModelCloud = "cloud"
)

// Decide returns where job may run, in order, and why. It never places a
// job whose privacy is not Public on a provider that is not Local, whatever
// else it is told.
func Decide(job Job, provs []Candidate, s Settings) Decision {
	dc := decider{job: job, provs: provs, s: s}
	return dc.decide()
}

type decider struct {
	job   Job
	provs []Candidate
	s     Settings
	d     Decision
	// need is the room a provider's window must leave after the prompt.
	need int
	// aliased is set when the request's model was an unknown id that
	// Settings.UnknownModel gave a meaning.
	aliased bool
}

func (dc *decider) decide() Decision {
	job, s := dc.job, dc.s
	d := &dc.d
	d.Privacy = Stricter(job.Privacy, job.Privacy)
	d.PrivacySource, d.Repo = job.PrivacySource, job.Repo
	d.PromptTokens, d.TokensExact = job.PromptTokens, job.TokensExact
	d.Files, d.Secrets = job.Files, job.Secrets
	d.OutputTokens = job.OutputTokens
	dc.need = job.OutputTokens
	if job.OutputTokens <= 0 {
		d.OutputDefaulted = true
		d.OutputTokens = s.DefaultOutputTokens
		if d.OutputTokens <= 0 {
			d.OutputTokens = DefaultOutputTokens
		}
		dc.need = min(MinAnswerTokens, d.OutputTokens)
	}
	for _, p := range dc.provs {
		if p.Local {
			d.LocalWindow, d.PredictedLocalSeconds = p.Window, p.PredictedSeconds
			break
		}
	}

	switch {
	case d.Privacy == Private && job.PrivateFile != "":
		dc.reason("private_file", "the conversation references a file that may not leave this machine: %s; local providers only", job.PrivateFile)
	case d.Privacy == Private:
		dc.reason("private", "%s: local providers only", orDefault(job.PrivacySource, "privacy is private"))
	default:
		dc.reason("public", "%s: cloud providers allowed", orDefault(job.PrivacySource, "privacy is public"))
	}
	if len(job.Secrets) > 0 {
		kinds := strings.Join(job.Secrets, ", ")
		switch s.Secrets {
		case SecretsRefuse:
			d.Privacy = Private
			return dc.refuse(CodePrivacy, "the prompt contains a credential (%s) and policy.secrets is refuse: remove it from the conversation, or set policy.secrets to local to keep such jobs on this machine", kinds)
		case SecretsIgnore:
			dc.reason("secret_ignored", "the prompt contains a credential (%s); policy.secrets is ignore", kinds)
		default:
			if d.Privacy == Public {
				d.Privacy = Private
				dc.reason("secret", "the prompt contains a credential (%s): kept on this machine", kinds)
			}
		}
	}

	switch mode, pinned := dc.mode(); mode {
	case "pinned":
		return dc.pinned(pinned)
	case ModelLocal:
		return dc.planLocal("local", dc.asked("model local"))
	case ModelCloud:
		if d.Privacy != Public {
			return dc.refuse(CodePrivacy, "%s, but the job is private (%s); it may only run on this machine: use model auto or local", dc.asked("model cloud"), dc.privacyWhy())
		}
		return dc.planCloud()
	}
	if d.Privacy != Public {
		r := dc.d.Reasons[0]
		if r.Code != "private_file" {
			r.Code = "private"
		}
		return dc.planLocal(r.Code, r.Text)
	}
	return dc.planAuto()
}

// mode reads the request's model: a routing word, or a provider's name;
// any other id means what Settings.UnknownModel says.
func (dc *decider) mode() (string, *Candidate) {
	if mode, p, ok := dc.modeOf(dc.job.Model); ok {
		return mode, p
	}
	if mode, p, ok := dc.modeOf(dc.s.UnknownModel); ok {
		dc.aliased = mode != ModelAuto
		return mode, p
	}
	return ModelAuto, nil
}

// asked says what the request asked for: what, or the model id that
// policy.unknown_model made mean what.
func (dc *decider) asked(what string) string {
	if dc.aliased {
		return fmt.Sprintf("the request's model %q means %s (policy.unknown_model)", dc.job.Model, what)
	}
	return "the request asked for " + what
}

func (dc *decider) modeOf(m string) (string, *Candidate, bool) {
	for i := range dc.provs {
		if dc.provs[i].Name == m {
			return "pinned", &dc.provs[i], true
		}
	}
	switch m {
	case ModelAuto, ModelLocal, ModelCloud:
		return m, nil, true
	}
	return "", nil, false
}

// tokensFor is the prompt size in p's tokenizer.
func (dc *decider) tokensFor(p *Candidate) int {
	if p.PromptTokens > 0 {
		return p.PromptTokens
	}
	f := p.TokenFactor
	if f <= 0 {
		f = 1
	}
	return int(math.Ceil(float64(dc.job.PromptTokens) * f))
}

func (dc *decider) fits(p *Candidate) bool {
	return p.Window > 0 && dc.tokensFor(p)+dc.need <= p.Window
}

func (dc *decider) cloudAllowed(p *Candidate) bool {
	return !p.Local && dc.d.Privacy == Public && (dc.job.Clouds == nil || slices.Contains(dc.job.Clouds, p.Name))
}

func (dc *decider) pinned(p *Candidate) Decision {
	if !p.Local {
		if dc.d.Privacy != Public {
			return dc.refuse(CodePrivacy, "the request pinned cloud provider %s, but the job is private (%s); it may only run on this machine: use model auto or local", p.Name, dc.privacyWhy())
		}
		if !dc.cloudAllowed(p) {
			return dc.refuse(CodePrivacy, "the request pinned cloud provider %s, but the repository allows only [%s] (%s)", p.Name, strings.Join(dc.job.Clouds, ", "), dc.job.PrivacySource)
		}
	}
	if p.Unavailable != "" {
		return dc.refuse(CodeUnavailable, "provider %s is unavailable: %s", p.Name, p.Unavailable)
	}
	if !dc.fits(p) {
		return dc.refuseTooLarge([]*Candidate{p})
	}
	dc.reasonFirst("pinned", "%s", dc.asked("provider "+p.Name))
	return dc.finish([]*Candidate{p})
}

func (dc *decider) planLocal(code, why string) Decision {
	var fit, all []*Candidate
	for i := range dc.provs {
		p := &dc.provs[i]
		if !p.Local {
			continue
		}
		all = append(all, p)
		if p.Unavailable == "" && dc.fits(p) {
			fit = append(fit, p)
		}
	}
	if len(fit) == 0 {
		return dc.noneFits(all, "local")
	}
	fit = dc.choosePools(fit)
	dc.reasonFirst(code, "%s", why)
	dc.slowNote(fit[0])
	return dc.finish(dc.healthyFirst(fit))
}

func (dc *decider) planCloud() Decision {
	var fit, all []*Candidate
	for i := range dc.provs {
		p := &dc.provs[i]
		if dc.cloudAllowed(p) {
			all = append(all, p)
			if p.Unavailable == "" && dc.fits(p) {
				fit = append(fit, p)
			}
		}
	}
	if len(fit) == 0 {
		return dc.noneFits(all, "cloud")
	}
	dc.reasonFirst("cloud", "%s", dc.asked("model cloud"))
	return dc.finish(dc.healthyFirst(fit))
}

func (dc *decider) planAuto() Decision {
	var local, cloud, all []*Candidate
	for i := range dc.provs {
		p := &dc.provs[i]
		if !p.Local && !dc.cloudAllowed(p) {
			if !p.Local && p.Unavailable == "" {
				dc.reason("cloud_not_allowed", "%s is not among the clouds the repository allows", p.Name)
			}
			continue
		}
		all = append(all, p)
		switch {
		case p.Unavailable != "":
			dc.reason("unavailable", "%s skipped: %s", p.Name, p.Unavailable)
		case !dc.fits(p):
			dc.reason("window", "%s skipped: %s", p.Name, dc.sizeText(p))
		case p.Local:
			local = append(local, p)
		default:
			cloud = append(cloud, p)
		}
	}
	local = dc.choosePools(local)
	var plan []*Candidate
	heavy := dc.heavy()
	switch {
	case len(local) == 0 && len(cloud) == 0:
		return dc.noneFits(all, "")
	case len(local) == 0:
		code, text := dc.whyNotLocal()
		dc.reasonFirst(code, "%s", text)
		plan = cloud
	case heavy != "":
		dc.d.Heavy = true
		dc.reasonFirst("heavy", "%s: cloud first", heavy)
		plan = append(slices.Clone(cloud), local...)
	case dc.slow(local[0]):
		p := local[0]
		dc.reasonFirst("too_slow_for_local", "%s is predicted to take %.0f s, over its timeout of %.0f s: cloud first", p.Name, p.PredictedSeconds, p.SlowAfterSeconds)
		plan = append(slices.Clone(cloud), local...)
	default:
		dc.reasonFirst("local_first", "the job fits %s (%d of %d tokens)", local[0].Name, dc.tokensFor(local[0])+dc.need, local[0].Window)
		plan = append(slices.Clone(local), cloud...)
	}
	return dc.finish(dc.healthyFirst(plan))
}

// choosePools orders the members of each pool among local, which all
// fit and are available, where the pool's first member stood: first the
// member that served the conversation before, while its predicted time is
// within the pool's margin of the quickest (its prompt cache holds the
// conversation's prefix, so it prefills only what is new), then the rest
// by predicted time, quickest first, and those that cannot predict after
// them, the ones whose engine says fewer requests first, else in
// configured order. Providers outside pools keep their
// configured order. Each pool's choice is a reason.
func (dc *decider) choosePools(local []*Candidate) []*Candidate {
	out := make([]*Candidate, 0, len(local))
	done := map[string]bool{}
	for _, p := range local {
		if p.Pool == "" {
			out = append(out, p)
			continue
		}
		if done[p.Pool] {
			continue
		}
		done[p.Pool] = true
		var members []*Candidate
		for _, q := range local {
			if q.Pool == p.Pool {
				members = append(members, q)
			}
		}
		out = append(out, dc.choosePool(p.Pool, members)...)
	}
	return out
}

func (dc *decider) choosePool(pool string, members []*Candidate) []*Candidate {
	byTime := slices.Clone(members)
	slices.SortStableFunc(byTime, func(a, b *Candidate) int {
		switch ka, kb := a.PredictedSeconds > 0, b.PredictedSeconds > 0; {
		case ka && kb:
			return cmp.Compare(a.PredictedSeconds, b.PredictedSeconds)
		case ka != kb && ka:
			return -1
		case ka != kb:
			return 1
		case !ka:
			// Neither predicts: the engine that says it is less busy first.
			return cmp.Compare(a.EngineJobs, b.EngineJobs)
		}
		return 0
	})
	best := byTime[0]
	if len(members) == 1 {
		dc.reason("pool", "pool %s: %s is the only member that can take the job%s", pool, best.Name, dc.memberText(best))
		return byTime
	}
	for _, p := range byTime {
		if !p.Affinity || p == best || p.PredictedSeconds <= 0 && best.PredictedSeconds > 0 {
			continue
		}
		margin := AffinityMargin(p.AffinityMargin)
		if p.PredictedSeconds <= best.PredictedSeconds*(1+margin) {
			dc.reason("pool_affinity", "pool %s: %s served this conversation before%s, within %.0f%% of the quickest, %s (%s)",
				pool, p.Name, dc.memberText(p), margin*100, best.Name, seconds(best.PredictedSeconds))
			return append([]*Candidate{p}, slices.DeleteFunc(byTime, func(q *Candidate) bool { return q == p })...)
		}
		dc.reason("pool_quickest", "pool %s: %s is predicted quickest%s; %s, which served this conversation before, is predicted at %s, over %.0f%% slower",
			pool, best.Name, dc.memberText(best), p.Name, seconds(p.PredictedSeconds), margin*100)
		return byTime
	}
	how := "is predicted quickest"
	if best.Affinity {
		how = "served this conversation before and is predicted quickest"
	}
	dc.reason("pool_quickest", "pool %s: %s %s%s", pool, best.Name, how, dc.memberText(best))
	return byTime
}

// memberText is what a pool member's prediction rests on, as a
// parenthesis: its time, the part of the prompt it holds, its queue.
func (dc *decider) memberText(p *Candidate) string {
	if p.PredictedSeconds <= 0 {
		if p.EngineJobs > 0 {
			return fmt.Sprintf(" (its engine says %d requests running or waiting)", p.EngineJobs)
		}
		return ""
	}
	s := " (" + seconds(p.PredictedSeconds)
	if p.CachedTokens > 0 {
		s += fmt.Sprintf(", %d of the prompt's %d tokens in its cache", p.CachedTokens, dc.tokensFor(p))
	}
	if p.QueuedSeconds > 0 {
		s += ", " + seconds(p.QueuedSeconds) + " of it queued behind other jobs"
	}
	switch {
	case p.ForeignSeconds > 0:
		s += fmt.Sprintf(", %s of it behind %d requests of other clients its engine says it has", seconds(p.ForeignSeconds), p.ForeignJobs)
	case p.ForeignJobs > 0:
		// An engine with a slot free runs the job beside them.
		s += fmt.Sprintf(", a slot free beside %d requests of other clients its engine says it has", p.ForeignJobs)
	}
	return s + ")"
}

func seconds(s float64) string {
	if s < 10 {
		return fmt.Sprintf("%.1f s", s)
	}
	return fmt.Sprintf("%.0f s", s)
}

// heavy says why the job is heavy, or "".
func (dc *decider) heavy() string {
	s, j := dc.s, dc.job
	var why []string
	if s.HeavyMinFiles > 0 && j.Files >= s.HeavyMinFiles {
		why = append(why, fmt.Sprintf("%d files (heavy at %d)", j.Files, s.HeavyMinFiles))
	}
	if s.HeavyMinTokens > 0 && j.PromptTokens >= s.HeavyMinTokens {
		why = append(why, fmt.Sprintf("%d prompt tokens (heavy at %d)", j.PromptTokens, s.HeavyMinTokens))
	}
	return strings.Join(why, ", ")
}

func (dc *decider) slow(p *Candidate) bool {
	return p.PredictedSeconds > 0 && p.SlowAfterSeconds > 0 && p.PredictedSeconds > p.SlowAfterSeconds
}

// slowNote records that a local-only job will be slow but still served.
func (dc *decider) slowNote(p *Candidate) {
	if dc.slow(p) {
		dc.reason("slow", "%s is predicted to take %.0f s, over its timeout of %.0f s; served anyway, and not cut off while it is predicted to finish", p.Name, p.PredictedSeconds, p.SlowAfterSeconds)
	}
}

// healthyFirst moves providers cooling down after failures to the end of
// the plan: they are tried only if every healthy one fails, which is how a
// provider that recovered is found again without a job paying for it.
func (dc *decider) healthyFirst(plan []*Candidate) []*Candidate {
	var healthy, cooling []*Candidate
	for _, p := range plan {
		if p.CoolingDown {
			cooling = append(cooling, p)
		} else {
			healthy = append(healthy, p)
		}
	}
	for _, p := range cooling {
		if len(healthy) > 0 {
			dc.reason("cooling_down", "%s is cooling down after repeated failures: tried last", p.Name)
		} else {
			dc.reason("cooling_down", "%s is cooling down after repeated failures; tried anyway, nothing else can take the job", p.Name)
		}
	}
	return append(healthy, cooling...)
}

func (dc *decider) finish(plan []*Candidate) Decision {
	dc.d.Plan = make([]string, len(plan))
	dc.d.PlanSeconds = make([]float64, len(plan))
	for i, p := range plan {
		dc.d.Plan[i], dc.d.PlanSeconds[i] = p.Name, p.PredictedSeconds
	}
	if dc.d.OutputDefaulted {
		first := plan[0]
		if room := first.Window - dc.tokensFor(first); room < dc.d.OutputTokens {
			dc.d.OutputTokens = room
			dc.reason("output_capped", "no output budget was set; %s leaves room for %d tokens", first.Name, room)
		}
	}
	return dc.d
}

// noneFits refuses a job that no allowed provider can take: too large for
// every window, or every provider unavailable. where is "local", "cloud" or
// "" (any).
func (dc *decider) noneFits(all []*Candidate, where string) Decision {
	var big []*Candidate
	var down []string
	for _, p := range all {
		if p.Unavailable != "" {
			down = append(down, p.Name+" ("+p.Unavailable+")")
			continue
		}
		if !dc.fits(p) {
			big = append(big, p)
		}
	}
	if len(big) > 0 {
		return dc.refuseTooLarge(big)
	}
	if len(down) > 0 {
		return dc.refuse(CodeUnavailable, "no %s provider the job may use is available: %s", orDefault(where, "allowed"), strings.Join(down, "; "))
	}
	if where == "cloud" && dc.job.Clouds != nil {
		return dc.refuse(CodePrivacy, "the repository allows only clouds [%s] and none is configured (%s)", strings.Join(dc.job.Clouds, ", "), dc.job.PrivacySource)
	}
	return dc.refuse(CodeUnavailable, "no %s provider is configured for this job", orDefault(where, "allowed"))
}

// refuseTooLarge refuses a job that fits none of big, with the numbers of
// the largest window among them.
func (dc *decider) refuseTooLarge(big []*Candidate) Decision {
	d := dc.refuse(CodeContextLength, "%s", dc.tooLarge(big))
	var widest *Candidate
	for _, p := range big {
		if widest == nil || p.Window > widest.Window {
			widest = p
		}
	}
	if widest != nil && widest.Window > 0 {
		d.Refusal.Tokens, d.Refusal.Output, d.Refusal.Limit = dc.tokensFor(widest), dc.need, widest.Window
	}
	return d
}

// tooLarge explains a job that does not fit the given providers, with the
// numbers and what to do.
func (dc *decider) tooLarge(big []*Candidate) string {
	var parts []string
	for _, p := range big {
		parts = append(parts, p.Name+": "+dc.sizeText(p))
	}
	msg := "the job does not fit: " + strings.Join(parts, "; ") + "."
	var fix []string
	if dc.d.Privacy != Public {
		msg += " The job is private (" + dc.privacyWhy() + "), so it may not go to a cloud model."
	}
	for _, p := range big {
		if p.Local && p.NativeWindow > p.Window {
			fix = append(fix, fmt.Sprintf("raise %s's context_window (the model supports %d tokens)", p.Name, p.NativeWindow))
		}
	}
	fix = append(fix, "shorten the conversation (compact it, or start a new one)")
	if !dc.d.OutputDefaulted {
		fix = append(fix, "ask for fewer output tokens")
	}
	return msg + " To fix: " + strings.Join(fix, ", or ") + "."
}

func (dc *decider) sizeText(p *Candidate) string {
	if p.Window <= 0 {
		return "its context window is not known yet"
	}
	t := dc.tokensFor(p)
	if dc.d.OutputDefaulted {
		return fmt.Sprintf("%d prompt tokens + %d to answer exceed its window of %d", t, dc.need, p.Window)
	}
	return fmt.Sprintf("%d prompt tokens + %d output tokens exceed its window of %d", t, dc.need, p.Window)
}

// whyNotLocal explains a public job that no local provider can take.
func (dc *decider) whyNotLocal() (code, text string) {
	for i := range dc.provs {
		if p := &dc.provs[i]; p.Local {
			if p.Unavailable != "" {
				return "local_unavailable", p.Name + " is unavailable (" + p.Unavailable + "): cloud only"
			}
			return "too_large_for_local", "too large for " + p.Name + ": " + dc.sizeText(p)
		}
	}
	return "no_local", "no local provider is configured"
}

func (dc *decider) privacyWhy() string {
	for _, r := range dc.d.Reasons {
		if r.Code == "secret" {
			return r.Text
		}
	}
	return orDefault(dc.job.PrivacySource, "private by default")
}

func (dc *decider) refuse(code, format string, args ...any) Decision {
	dc.d.Plan, dc.d.PlanSeconds = nil, nil
	dc.d.Refusal = &Refusal{Code: code, Message: fmt.Sprintf(format, args...)}
	return dc.d
}

func (dc *decider) reason(code, format string, args ...any) {
	dc.d.Reasons = append(dc.d.Reasons, Reason{Code: code, Text: fmt.Sprintf(format, args...)})
}

// reasonFirst records the routing reason ahead of the others: it is the
// one the X-Switchyard-Reason header carries.
func (dc *decider) reasonFirst(code, format string, args ...any) {
	r := Reason{Code: code, Text: fmt.Sprintf(format, args...)}
	if len(dc.d.Reasons) > 0 && dc.d.Reasons[0].Code == code {
		dc.d.Reasons[0] = r
		return
	}
	dc.d.Reasons = slices.Insert(dc.d.Reasons, 0, r)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

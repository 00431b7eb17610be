package router

import (
	"context"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/ingress"
	"github.com/switchyard/switchyard/internal/par"
	"github.com/switchyard/switchyard/policy"
)

// Workspace finds which repositories a request belongs to and what
// governs the paths it involves.
type Workspace interface {
	// Dirs returns the working directories the agent states in trusted
	// places of the request (never in tool results or file contents).
	Dirs(req *chat.Request) []string
	// Governing returns what governs an absolute path, a directory or a
	// file: one policy.PolicyFile for each way of reaching it (as
	// written, and its real path when a link leads elsewhere). The caller
	// does not modify the result.
	Governing(path string) []policy.PolicyFile
}

// TokenCounter estimates the prompt tokens the local model will see.
type TokenCounter interface {
	// CountRequest returns the estimate and whether it is exact (counted
	// with the model's own vocabulary).
	CountRequest(req *chat.Request) (tokens int, exact bool)
}

// Request headers a client may send.
const (
	headerRepo    = "X-Switchyard-Repo"
	headerPrivacy = "X-Switchyard-Privacy"
	headerFiles   = "X-Switchyard-Files"
)

// Inspector finds the files a job involves and the credentials in it. It
// works a piece at a time: the router keeps each message's facts with the
// message as it decoded it, and what lies outside the messages with the
// rest of the request, so what an agent resends every turn is inspected
// once.
type Inspector interface {
	// Message returns what one message holds. It must not depend on the
	// other messages.
	Message(m *chat.Message) MessageFacts
	// Outside returns the kinds of credential in what req holds besides
	// its messages (tool definitions, stop sequences, user, a response
	// schema). It must not depend on the messages.
	Outside(req *chat.Request) []string
	// Files returns the number of distinct files the messages' facts
	// name; base is the first directory the agent states (relative paths
	// are relative to it), "" when it states none.
	Files(base string, msgs []*MessageFacts) int
}

// MessageFacts is what one message holds that the policy decides on.
type MessageFacts struct {
	// Files are the files the message names; a relative path is as written.
	Files []string
	// Secrets are the kinds of credential in it.
	Secrets []string
}

// gather learns the features the policy decides on. memo, when not nil,
// is what the decoder kept of req; also are the directories the request
// states outside its body (ingress.DirStater).
func (rt *Router) gather(h http.Header, req *chat.Request, memo *decodeMemo, also []string) policy.Job {
	job := policy.Job{Model: req.Model, OutputTokens: req.MaxTokens}
	var stated []string
	if rt.opts.Workspace != nil {
		stated = rt.opts.Workspace.Dirs(req)
	}
	for _, d := range also {
		if d = filepath.Clean(d); filepath.IsAbs(d) && !slices.Contains(stated, d) {
			stated = append(stated, d)
		}
	}
	if rt.opts.Tokens != nil {
		job.PromptTokens, job.TokensExact = rt.opts.Tokens.CountRequest(req)
	}
	var facts []*MessageFacts
	if in := rt.opts.Inspector; in != nil {
		facts = make([]*MessageFacts, len(req.Messages))
		size := func(i int) int {
			if memo != nil && memo.messages[i].facts.Load() != nil {
				return 0
			}
			return messageSize(&req.Messages[i])
		}
		par.Ranges(len(facts), size, parallelBytes, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				if memo != nil {
					facts[i] = memo.messages[i].factsFor(in)
				} else {
					f := in.Message(&req.Messages[i])
					facts[i] = &f
				}
			}
		})
		var outside []string
		if memo != nil {
			outside = memo.rest.outsideFor(in, req)
		} else {
			outside = in.Outside(req)
		}
		for _, f := range facts {
			job.Secrets = addKinds(job.Secrets, f.Secrets)
		}
		job.Secrets = addKinds(job.Secrets, outside)
		base := ""
		if len(stated) > 0 {
			base = stated[0]
		}
		job.Files = in.Files(base, facts)
	}
	pr := policy.DecidePrivacy(rt.privacyInput(h, stated, facts, memo))
	job.Privacy, job.PrivacySource, job.Repo, job.Clouds, job.PrivateFile = pr.Privacy, pr.Source, pr.Repo, pr.Clouds, pr.PrivateFile
	if n, ok := parseCount(h.Get(headerFiles)); ok {
		job.Files = n
	}
	return job
}

// addKinds adds to kinds those of more it lacks.
func addKinds(kinds, more []string) []string {
	for _, k := range more {
		if !slices.Contains(kinds, k) {
			kinds = append(kinds, k)
		}
	}
	return kinds
}

// messageSize is about how many bytes of text m holds.
func messageSize(m *chat.Message) int {
	n := 0
	for _, p := range m.Content {
		n += len(p.Text)
	}
	for _, tc := range m.ToolCalls {
		n += len(tc.Arguments)
	}
	return n
}

// privacyInput collects what the job's privacy is decided from: the
// repository the header names, the directories the agent states and those
// its session stated before (each may loosen), and every file the
// conversation references (each may only tighten), a relative one under
// each of those directories. policy.DecidePrivacy combines them. memo,
// when not nil, keeps each message's file paths for the next turn.
func (rt *Router) privacyInput(h http.Header, stated []string, facts []*MessageFacts, memo *decodeMemo) policy.PrivacyInput {
	in := policy.PrivacyInput{Default: rt.opts.Settings.DefaultPrivacy, Header: h.Get(headerPrivacy)}
	var dirs []string
	if v := strings.TrimSpace(h.Get(headerRepo)); v != "" {
		if filepath.IsAbs(v) {
			dirs = []string{filepath.Clean(v)}
		} else {
			in.Refused = headerRepo + " " + v + " is not an absolute path: private"
		}
	}
	for _, d := range stated {
		if !slices.Contains(dirs, d) {
			dirs = append(dirs, d)
		}
	}
	dirs = rt.sessions.merge(sessionKey(h), dirs)
	ws := rt.opts.Workspace
	if ws == nil {
		for _, d := range dirs {
			in.Dirs = append(in.Dirs, policy.Place{Path: d})
		}
		return in
	}
	for _, d := range dirs {
		in.Dirs = append(in.Dirs, policy.Place{Path: d, Governed: ws.Governing(d)})
	}
	paths := make([][]string, len(facts))
	n := 0
	for i, f := range facts {
		if memo != nil {
			paths[i] = memo.messages[i].pathsFor(f, dirs)
		} else {
			paths[i] = filePaths(f.Files, dirs)
		}
		n += len(paths[i])
	}
	// A file named in several messages is judged once for each: Governing
	// answers a repeat from its cache, which is cheaper than deduplicating.
	in.Files = make([]policy.Place, 0, n)
	for _, ps := range paths {
		for _, p := range ps {
			in.Files = append(in.Files, policy.Place{Path: p, Governed: ws.Governing(p)})
		}
	}
	return in
}

// filePaths is where the files refs name may be: an absolute one where it
// says, a relative one under each of dirs.
func filePaths(refs, dirs []string) []string {
	var out []string
	for _, ref := range refs {
		if filepath.IsAbs(ref) {
			out = append(out, ref)
			continue
		}
		for _, d := range dirs {
			// Joined as written, not cleaned: a ".." after a link goes up
			// from where the link leads, and Governing judges both
			// readings.
			out = append(out, d+"/"+ref)
		}
	}
	return out
}

func parseCount(s string) (int, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// statedDirs is what dl's request r states of its directories outside
// the body.
func statedDirs(dl ingress.Dialect, r *http.Request) []string {
	if ds, ok := dl.(ingress.DirStater); ok {
		return ds.StatedDirs(r)
	}
	return nil
}

// candidates describes the upstreams to the policy for job, the chat req
// of conversation conv (nil if unknown).
func (rt *Router) candidates(ctx context.Context, job *policy.Job, req *chat.Request, conv *conversation) []policy.Candidate {
	now := rt.now()
	out := make([]policy.Candidate, len(rt.upstreams))
	for i, u := range rt.upstreams {
		// Availability first: checking it may learn the window.
		why := u.unavailable()
		use, native := u.window()
		p := policy.Candidate{
			Name: u.Name, Local: u.Local, Window: use, NativeWindow: native,
			Unavailable: why, CoolingDown: u.health.coolingDown(now),
			SlowAfterSeconds: u.SlowAfter.Seconds(),
		}
		if u.TokenFactor != nil {
			p.TokenFactor = u.TokenFactor()
		}
		p.PromptTokens = rt.engineCount(ctx, u, job, req, use, p.TokenFactor)
		prefill := job.PromptTokens
		if u.Pool != "" && u.Local {
			p.Pool, p.AffinityMargin = u.Pool, u.AffinityMargin
			if n := rt.affinity.cached(conv, u.Name); n > 0 {
				p.Affinity, p.CachedTokens = true, min(n, job.PromptTokens)
				prefill -= p.CachedTokens
			}
		}
		if u.Predict != nil {
			// An output budget the client did not set is not a prediction
			// of the answer's length: Predict then assumes a typical one.
			if s, ok := u.Predict(prefill, job.OutputTokens); ok {
				p.PredictedSeconds = s
			}
		}
		if p.Pool != "" {
			rt.chargeWait(u, job, &p)
		}
		out[i] = p
	}
	return out
}

// countNear is how close to a window a job's estimate must come for
// switchyard to ask the engine for the exact count: below it the estimate
// cannot be wrong enough to matter, and the job is not held up.
const countNear = 0.5

// countWait bounds how long a decision waits on an engine's count; past
// it, the estimate stands.
const countWait = 300 * time.Millisecond

// engineCount is the prompt's size in u's tokens as u's engine counts it,
// when u can count and the job's estimate (times factor) with its output
// comes within countNear of window; else 0.
func (rt *Router) engineCount(ctx context.Context, u *Upstream, job *policy.Job, req *chat.Request, window int, factor float64) int {
	if u.CountPrompt == nil || req == nil || window <= 0 {
		return 0
	}
	if factor <= 0 {
		factor = 1
	}
	if float64(job.PromptTokens)*factor+float64(job.OutputTokens) < countNear*float64(window) {
		return 0
	}
	ctx, cancel := context.WithTimeout(ctx, countWait)
	defer cancel()
	n, err := u.CountPrompt(ctx, req)
	if err != nil {
		return 0
	}
	return n
}

// chargeWait charges pool member u's candidate p for the wait before
// its engine starts the job: behind the jobs switchyard has there (its
// queue) and the requests the engine says it has that switchyard did
// not send (foreignLoad).
//
// An engine of S slots (Upstream.SlotCount) runs S requests side by side, so
// a job waits only when all S are busy, and then for the requests ahead
// of it to drain S at a time. Switchyard knows those requests as a count
// and a total of predicted time, not when each began, so it takes them
// to run in rounds of S, each as long as their average: with n ahead,
// the job starts after n/S rounds, rounded down, and waits that share of
// the work ahead. On one slot that is all of it, one after another; with
// fewer ahead than slots, none. Slots are taken to run as fast side by
// side as alone: an engine whose slots share one GPU is undercharged for
// that, and its learnt speed, measured under such load, makes up part.
// The share is split between switchyard's jobs (QueuedSeconds) and other
// clients' (ForeignSeconds) by their parts of the work ahead, so the
// decision's reason can say what the job waits for.
func (rt *Router) chargeWait(u *Upstream, job *policy.Job, p *policy.Candidate) {
	ownJobs, ownSeconds := u.queue.jobs(), u.queue.seconds()
	foreignSeconds := rt.foreignLoad(u, job, ownJobs, p)
	if p.PredictedSeconds <= 0 {
		return
	}
	share := waitShare(ownJobs+p.ForeignJobs, u.SlotCount())
	p.QueuedSeconds, p.ForeignSeconds = ownSeconds*share, foreignSeconds*share
	p.PredictedSeconds += p.QueuedSeconds + p.ForeignSeconds
}

// waitShare is the part of the work ahead that a job waits for on an
// engine of slots slots (0: one) with ahead requests before it: whole
// rounds of slots requests each, out of ahead.
func waitShare(ahead, slots int) float64 {
	slots = max(1, slots)
	if ahead < slots {
		return 0
	}
	return float64(ahead/slots) / float64(ahead)
}

// foreignLoad sets p's EngineJobs and ForeignJobs from the requests
// pool member u's engine says it has, ownJobs of them switchyard's, and
// returns the predicted time of the foreign ones, each run alone: the
// work they put ahead of the job.
//
// The engine's count covers every client (someone's curl, another tool on
// the same engine); switchyard's own jobs there are those its queue
// holds, so the excess is other clients'. The two are read at different
// moments (the engine's up to its refresh interval ago), so for that long
// a job of ours just ended may be taken for a foreign one, or one just
// sent may hide one: a second's error either way.
//
// Nothing says how long another client's request takes. Each is costed
// as this job would take on u with nothing of it cached: what coding
// agents send this pool now is the best sample there is, and it costs
// every member's foreign requests alike, so their number decides.
func (rt *Router) foreignLoad(u *Upstream, job *policy.Job, ownJobs int, p *policy.Candidate) float64 {
	if u.Load == nil {
		return 0
	}
	running, waiting, ok := u.Load()
	if !ok {
		return 0
	}
	p.EngineJobs = running + waiting
	p.ForeignJobs = max(0, p.EngineJobs-ownJobs)
	if p.ForeignJobs == 0 || u.Predict == nil {
		return 0
	}
	each, ok := u.Predict(job.PromptTokens, job.OutputTokens)
	if !ok {
		return 0
	}
	return float64(p.ForeignJobs) * each
}

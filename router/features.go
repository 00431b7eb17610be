package router

import (
	"net/http"
	"path/filepath"
	"slices"
	"strings"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/internal/par"
	"github.com/switchyard/switchyard/policy"
)

// Workspace finds which repositories a request belongs to and reads their
// policy files.
type Workspace interface {
	// Dirs returns the working directories the agent states in trusted
	// places of the request (never in tool results or file contents).
	Dirs(req *chat.Request) []string
	// Lookup returns the policy that governs dir.
	Lookup(dir string) RepoPolicy
}

// RepoPolicy is what a repository's .switchyard.yaml says.
type RepoPolicy struct {
	Privacy policy.Privacy
	// Clouds, when non-nil, are the only cloud providers allowed.
	Clouds []string
	// File is the policy file that decided; "" when none was found.
	File string
	// Err is why the file could not be used; then Privacy is Private.
	Err error
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
// is what the decoder kept of req.
func (rt *Router) gather(h http.Header, req *chat.Request, memo *decodeMemo) policy.Job {
	job := policy.Job{Model: req.Model, OutputTokens: req.MaxTokens}
	var stated []string
	if rt.opts.Workspace != nil {
		stated = rt.opts.Workspace.Dirs(req)
	}
	rt.privacy(h, stated, &job)
	if rt.opts.Tokens != nil {
		job.PromptTokens, job.TokensExact = rt.opts.Tokens.CountRequest(req)
	}
	if in := rt.opts.Inspector; in != nil {
		facts := make([]*MessageFacts, len(req.Messages))
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

// privacy decides the job's privacy and where it came from: the repository
// named by header, else the directories the agent states; the most
// restrictive policy among them wins; a header can tighten, never loosen.
func (rt *Router) privacy(h http.Header, stated []string, job *policy.Job) {
	def := rt.opts.Settings.DefaultPrivacy
	if def != policy.Public {
		def = policy.Private
	}
	// The header names the repository first; the directories the agent
	// states count too, and the most restrictive policy among all of them
	// applies: a header left over from another session must not send a
	// private repository's content out.
	var dirs []string
	if v := strings.TrimSpace(h.Get(headerRepo)); v != "" {
		if filepath.IsAbs(v) {
			dirs = []string{filepath.Clean(v)}
		} else {
			job.Privacy = policy.Private
			job.PrivacySource = headerRepo + " " + v + " is not an absolute path: private"
		}
	}
	for _, d := range stated {
		if !slices.Contains(dirs, d) {
			dirs = append(dirs, d)
		}
	}
	dirs = rt.sessions.merge(sessionKey(h), dirs)

	if job.PrivacySource == "" {
		if len(dirs) == 0 {
			job.Privacy = def
			job.PrivacySource = "no repository stated: policy.default_privacy is " + string(def)
		}
		var sources []string
		for i, dir := range dirs {
			rp := RepoPolicy{Privacy: def}
			if rt.opts.Workspace != nil {
				rp = rt.opts.Workspace.Lookup(dir)
			}
			var src string
			switch {
			case rp.Err != nil:
				rp.Privacy = policy.Private
				src = "repo " + dir + ": policy file unusable, so private (" + rp.Err.Error() + ")"
			case rp.File == "":
				rp.Privacy = def
				src = "repo " + dir + " has no .switchyard.yaml: policy.default_privacy is " + string(def)
			default:
				src = "repo " + rp.File
			}
			if i == 0 {
				job.Privacy, job.Repo, job.Clouds = rp.Privacy, dir, rp.Clouds
			} else {
				if rp.Privacy != policy.Public && job.Privacy == policy.Public {
					job.Repo = dir
				}
				job.Privacy = policy.Stricter(job.Privacy, rp.Privacy)
				job.Clouds = intersectClouds(job.Clouds, rp.Clouds)
			}
			sources = append(sources, src)
		}
		if len(sources) > 0 {
			job.PrivacySource = strings.Join(sources, "; ")
			if len(sources) > 1 {
				job.PrivacySource += "; the most restrictive applies"
			}
		}
	}

	switch v := strings.ToLower(strings.TrimSpace(h.Get(headerPrivacy))); v {
	case "":
	case "private":
		if job.Privacy == policy.Public {
			job.PrivacySource = headerPrivacy + ": private (tightens " + job.PrivacySource + ")"
		}
		job.Privacy = policy.Private
	default:
		// "public" cannot loosen anything, and anything else is not a
		// privacy; neither changes the job, both are said.
		job.PrivacySource += "; " + headerPrivacy + ": " + v + " ignored (a request can only tighten privacy)"
	}
}

// intersectClouds combines two repositories' cloud lists; nil means any.
func intersectClouds(a, b []string) []string {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	out := []string{}
	for _, c := range a {
		if slices.Contains(b, c) {
			out = append(out, c)
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

// policyProviders describes the upstreams to the policy for this job.
func (rt *Router) policyProviders(job *policy.Job) []policy.Provider {
	now := rt.now()
	out := make([]policy.Provider, len(rt.upstreams))
	for i, u := range rt.upstreams {
		// Availability first: checking it may learn the window.
		why := u.unavailable()
		use, native := u.window()
		p := policy.Provider{
			Name: u.Name, Local: u.Local, Window: use, NativeWindow: native,
			Unavailable: why, CoolingDown: u.health.coolingDown(now),
			TimeoutSeconds: u.Timeout.Seconds(),
		}
		if u.TokenFactor != nil {
			p.TokenFactor = u.TokenFactor()
		}
		if u.Predict != nil {
			// An output budget the client did not set is not a prediction
			// of the answer's length: Predict then assumes a typical one.
			if s, ok := u.Predict(job.PromptTokens, job.OutputTokens); ok {
				p.PredictedSeconds = s
			}
		}
		out[i] = p
	}
	return out
}

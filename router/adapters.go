package router

import (
	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/policy"
	"github.com/switchyard/switchyard/policy/secrets"
	"github.com/switchyard/switchyard/policy/tokenize"
	"github.com/switchyard/switchyard/policy/workspace"
)

// The policy packages' answers, wired to the router's interfaces: what
// cmd/switchyard serves with, and what benchmarks measure.

// StoreWorkspace finds the directories an agent states with
// workspace.Dirs and reads their policy files through a workspace.Store.
func StoreWorkspace(s *workspace.Store) Workspace { return storeWorkspace{s} }

type storeWorkspace struct{ s *workspace.Store }

func (w storeWorkspace) Dirs(req *chat.Request) []string {
	var out []string
	for _, d := range workspace.Dirs(req) {
		out = append(out, d.Path)
	}
	return out
}

func (w storeWorkspace) Governing(path string) []policy.PolicyFile { return w.s.Governing(path) }

// PolicyInspector counts files with workspace.MessageFiles and
// CountFileRefs (relative paths resolved against the first directory the
// agent states) and finds credentials with the secrets package, everywhere
// secrets.ScanRequest looks.
var PolicyInspector Inspector = policyInspector{}

type policyInspector struct{}

func (policyInspector) Message(m *chat.Message) MessageFacts {
	return MessageFacts{Files: workspace.MessageFiles(m), Secrets: secrets.Kinds(secrets.ScanMessage(m))}
}

func (policyInspector) Outside(req *chat.Request) []string {
	return secrets.Kinds(secrets.ScanOutsideMessages(req))
}

func (policyInspector) Files(base string, msgs []*MessageFacts) int {
	lists := make([][]string, len(msgs))
	for i, f := range msgs {
		lists[i] = f.Files
	}
	return workspace.CountFileRefs(base, lists)
}

// CounterTokens counts prompts with a tokenize.Counter.
func CounterTokens(c *tokenize.Counter) TokenCounter { return counterTokens{c} }

type counterTokens struct{ c *tokenize.Counter }

func (t counterTokens) CountRequest(req *chat.Request) (int, bool) {
	n := t.c.CountRequest(req)
	return n.Tokens, n.Exact
}

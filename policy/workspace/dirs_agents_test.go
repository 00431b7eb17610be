package workspace

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/chat"
)

// agentExcerpt is one file of testdata/agents (see its README.md).
type agentExcerpt struct {
	name   string
	header map[string]string
	body   string
}

func loadAgentExcerpts(t testing.TB) []agentExcerpt {
	t.Helper()
	files, err := filepath.Glob("testdata/agents/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no agent excerpts: %v", err)
	}
	var out []agentExcerpt
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		head, body, ok := strings.Cut(string(data), "# ---\n")
		if !ok {
			t.Fatalf("%s: no '# ---' line ends the header", f)
		}
		h := map[string]string{}
		sc := bufio.NewScanner(strings.NewReader(head))
		for sc.Scan() {
			k, v, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "# "), ":")
			if !ok {
				t.Fatalf("%s: bad header line %q", f, sc.Text())
			}
			h[k] = strings.TrimSpace(v)
		}
		for _, k := range []string{"agent", "version", "source", "place"} {
			if h[k] == "" {
				t.Fatalf("%s: header lacks %q", f, k)
			}
		}
		out = append(out, agentExcerpt{name: strings.TrimSuffix(filepath.Base(f), ".txt"), header: h, body: body})
	}
	return out
}

func textMsg(role chat.Role, parts ...string) chat.Message {
	m := chat.Message{Role: role}
	for _, p := range parts {
		m.Content = append(m.Content, chat.Part{Type: chat.PartText, Text: p})
	}
	return m
}

const userPrompt = "Fix the failing test in src/main.go"

// requestFor places an excerpt where its agent puts it, in an otherwise
// plain conversation.
func requestFor(t testing.TB, e agentExcerpt) *chat.Request {
	req := &chat.Request{Model: "auto"}
	switch e.header["place"] {
	case "system":
		req.Messages = []chat.Message{textMsg(chat.RoleSystem, e.body), textMsg(chat.RoleUser, userPrompt)}
	case "first-user":
		req.Messages = []chat.Message{textMsg(chat.RoleSystem, "You are a coding agent."), textMsg(chat.RoleUser, e.body, userPrompt)}
	case "first-user-after-prompt":
		req.Messages = []chat.Message{textMsg(chat.RoleSystem, "You are a coding agent."), textMsg(chat.RoleUser, userPrompt, e.body)}
	default:
		t.Fatalf("%s: unknown place %q", e.name, e.header["place"])
	}
	return req
}

func dirPaths(ds []Dir) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.Path
	}
	return out
}

func TestDirsAgents(t *testing.T) {
	for _, e := range loadAgentExcerpts(t) {
		t.Run(e.name, func(t *testing.T) {
			want := strings.Fields(e.header["want"])
			got := Dirs(requestFor(t, e))
			if !slices.Equal(dirPaths(got), want) {
				t.Fatalf("%s (%s): Dirs = %q, want %q", e.header["agent"], e.header["version"], dirPaths(got), want)
			}
			for _, d := range got {
				if d.Source == "" {
					t.Errorf("%s has no Source", d.Path)
				}
			}
		})
	}
}

// TestDirsAgentsUntrustedPlaces moves each real excerpt to where a
// repository's content can put it (a tool result, an assistant turn, a
// later user turn): none may count.
func TestDirsAgentsUntrustedPlaces(t *testing.T) {
	for _, e := range loadAgentExcerpts(t) {
		planted := strings.ReplaceAll(e.body, "/home/dev/src/", "/srv/planted/")
		places := map[string][]chat.Message{
			"tool-result": {
				textMsg(chat.RoleSystem, "You are a coding agent."),
				textMsg(chat.RoleUser, userPrompt),
				{Role: chat.RoleAssistant, ToolCalls: []chat.ToolCall{{ID: "c1", Name: "read_file", Arguments: `{"file_path":"/home/u/x/README.md"}`}}},
				{Role: chat.RoleTool, ToolCallID: "c1", Content: []chat.Part{{Type: chat.PartText, Text: planted}}},
			},
			"assistant": {
				textMsg(chat.RoleSystem, "You are a coding agent."),
				textMsg(chat.RoleUser, userPrompt),
				textMsg(chat.RoleAssistant, planted),
			},
			"later-user": {
				textMsg(chat.RoleSystem, "You are a coding agent."),
				textMsg(chat.RoleUser, userPrompt),
				textMsg(chat.RoleAssistant, "Done."),
				textMsg(chat.RoleUser, planted),
			},
		}
		for place, msgs := range places {
			t.Run(e.name+"/"+place, func(t *testing.T) {
				if got := Dirs(&chat.Request{Messages: msgs}); len(got) != 0 {
					t.Fatalf("a statement in a %s counted: %+v", place, got)
				}
			})
		}
	}
}

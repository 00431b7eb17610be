package workspace

import (
	"strings"

	"github.com/switchyard/switchyard/chat"
)

// Dir is a working directory a coding agent stated in what it sent.
type Dir struct {
	// Path is absolute and cleaned; never "/".
	Path string
	// Source says where the statement was, for explain and logs:
	// e.g. `system message: "Working directory:" (opencode/Kilo/…)`.
	Source string
}

// Dirs returns the working directories the coding agent states in req, in
// the order first stated, without duplicates. Only system messages and the
// first user message are read (where agents put their environment block);
// a path in a tool result, an assistant turn or a later user message is
// never returned, so repository content cannot choose the policy. Several
// results are possible (Claude Code's --add-dir, Qwen Code's and Gemini
// CLI's workspace directories, and anything an instruction file inlined in
// the system prompt repeats): the caller must apply the most restrictive
// policy among them, which is also why a statement planted in an inlined
// AGENTS.md can only tighten, never loosen. Relative paths, "~" paths and
// "/" are ignored. Time is linear in the size of the messages read.
func Dirs(req *chat.Request) []Dir {
	if req == nil {
		return nil
	}
	var c dirCollector
	firstUser := true
	for i := range req.Messages {
		m := &req.Messages[i]
		var place string
		switch {
		case m.Role == chat.RoleSystem:
			place = "system message"
		case m.Role == chat.RoleUser && firstUser:
			firstUser = false
			place = "first user message"
		default:
			continue
		}
		for _, p := range m.Content {
			if p.Type == chat.PartText {
				c.scan(p.Text, place)
			}
		}
	}
	return c.dirs
}

type dirCollector struct {
	dirs []Dir
	seen map[string]struct{}
}

func (c *dirCollector) add(raw, place, what, agent string) {
	p, ok := cleanAbs(raw)
	if !ok {
		return
	}
	if _, dup := c.seen[p]; dup {
		return
	}
	if c.seen == nil {
		c.seen = make(map[string]struct{})
	}
	c.seen[p] = struct{}{}
	c.dirs = append(c.dirs, Dir{Path: p, Source: place + ": " + what + " (" + agent + ")"})
}

// scan reads one trusted text: line statements first, then Codex's tags.
func (c *dirCollector) scan(text, place string) {
	var list *dirListHeader // set while reading the items under a list header
	for rest := text; rest != ""; {
		var line string
		line, rest, _ = strings.Cut(rest, "\n")
		item, isItem := stripListMarker(strings.TrimSpace(line))
		if list != nil {
			if isItem && strings.HasPrefix(item, "/") {
				c.add(item, place, strconvQuote(list.header), list.agent)
				continue
			}
			list = nil
		}
		if h := matchListHeader(item); h != nil {
			list = h
			continue
		}
		if l, v := matchLabel(item); l != nil {
			c.add(v, place, strconvQuote(l.label), l.agent)
			continue
		}
		if l, v := matchHeading(item); l != nil {
			c.add(v, place, strconvQuote("# "+l.label+"…)"), l.agent)
		}
	}
	c.scanCodex(text, place)
}

// scanCodex finds <cwd>…</cwd> and the <root>s inside <workspace_roots>.
// Each search starts where the previous one ended, so the pass is linear.
func (c *dirCollector) scanCodex(text, place string) {
	for rest := text; ; {
		v, after, ok := between(rest, codexCwdOpen, codexCwdClose)
		if !ok {
			break
		}
		c.add(v, place, codexCwdOpen, codexAgent)
		rest = after
	}
	for rest := text; ; {
		roots, after, ok := between(rest, codexRootsOpen, codexRootsClose)
		if !ok {
			break
		}
		for r := roots; ; {
			v, a, ok := between(r, codexRootOpen, codexRootClose)
			if !ok {
				break
			}
			c.add(v, place, codexRootsOpen, codexAgent)
			r = a
		}
		rest = after
	}
}

// between returns the text between the first open in s and the next close
// after it, and what follows close.
func between(s, open, close string) (inner, after string, ok bool) {
	i := strings.Index(s, open)
	if i < 0 {
		return "", "", false
	}
	s = s[i+len(open):]
	j := strings.Index(s, close)
	if j < 0 {
		return "", "", false
	}
	return s[:j], s[j+len(close):], true
}

// stripListMarker removes a leading "- ", "* " or "12. " and reports
// whether there was one.
func stripListMarker(s string) (string, bool) {
	if len(s) >= 2 && (s[0] == '-' || s[0] == '*') && s[1] == ' ' {
		return strings.TrimSpace(s[2:]), true
	}
	n := 0
	for n < len(s) && n < 3 && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	if n > 0 && n+1 < len(s) && s[n] == '.' && s[n+1] == ' ' {
		return strings.TrimSpace(s[n+2:]), true
	}
	return s, false
}

func matchLabel(s string) (*dirLabel, string) {
	for i := range dirLabels {
		l := &dirLabels[i]
		if hasPrefixFold(s, l.label) {
			return l, s[len(l.label):]
		}
	}
	return nil, ""
}

func matchListHeader(s string) *dirListHeader {
	for i := range dirListHeaders {
		if strings.EqualFold(s, dirListHeaders[i].header) {
			return &dirListHeaders[i]
		}
	}
	return nil
}

// matchHeading reads "# Current Working Directory (/path) Files"; any
// number of '#'. The path ends at the last ')' so one inside it survives.
func matchHeading(s string) (*dirLabel, string) {
	t := strings.TrimLeft(s, "#")
	if len(t) == len(s) || !strings.HasPrefix(t, " ") {
		return nil, ""
	}
	t = strings.TrimSpace(t)
	for i := range dirHeadings {
		l := &dirHeadings[i]
		if !hasPrefixFold(t, l.label) {
			continue
		}
		v := t[len(l.label):]
		j := strings.LastIndexByte(v, ')')
		if j < 0 {
			return nil, ""
		}
		return l, v[:j]
	}
	return nil, ""
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// strconvQuote quotes a phrase for Source without importing strconv's
// escaping rules into a human-facing string.
func strconvQuote(s string) string { return `"` + s + `"` }

package workspace

import (
	"encoding/json"
	"path"
	"strings"

	"github.com/switchyard/switchyard/chat"
)

// CountFiles returns the number of distinct files the job in req involves:
// files named in tool-call arguments (file_path, filePath, filepath,
// target_file, absolute_path, path and paths when they look like files,
// arrays of {path}, Codex apply_patch "*** Update/Add/Delete File:" and
// "*** Move to:" lines), files that tool results list or carry (one path
// per line with a "/" in it, grep's "path:line:", "--- path ---"), @-mentions in user
// messages, fenced code blocks' headers (```go title="a.go", ```a.go, and
// Aider's file name on the line before a bare fence), <file_content
// path=…>, <file path=…>, "Content from @path:" and Claude Code's
// "Called the Read tool with the following input: {…}".
//
// Not counted: directories (dir_path/dirpath, a trailing "/", no file-like
// name), globs, URLs, "~" and Windows paths; anything in system messages
// (agent templates are full of example file names and inline instruction
// files, not the job's files); and the workspace overviews agents attach
// to every job (Qwen Code's folder tree, Cline's "Current Working Directory
// Files", open tabs), which describe the repository, not the task. A
// relative path is resolved against the first directory Dirs finds, so
// "src/a.go" and "/repo/src/a.go" count once. Time is linear in the size
// of the request.
func CountFiles(req *chat.Request) int {
	if req == nil {
		return 0
	}
	var base string
	if dirs := Dirs(req); len(dirs) > 0 {
		base = dirs[0].Path
	}
	refs := make([][]string, len(req.Messages))
	for i := range req.Messages {
		refs[i] = MessageFiles(&req.Messages[i])
	}
	return CountFileRefs(base, refs)
}

// MessageFiles returns the files one message names, by the rules of
// CountFiles, as written: a relative path is not yet resolved (which
// directory it is relative to is the job's, not the message's). Each
// appears once. What one message names does not depend on the others, so
// a caller may keep the answer for a message resent turn after turn.
func MessageFiles(m *chat.Message) []string {
	var k textKind
	switch m.Role {
	case chat.RoleUser:
		k = kindUser
	case chat.RoleTool:
		k = kindToolResult
	case chat.RoleAssistant:
		k = kindAssistant
	default:
		return nil
	}
	var c fileCounter
	for _, tc := range m.ToolCalls {
		c.toolArgs(tc.Arguments)
	}
	for _, p := range m.Content {
		if p.Type == chat.PartText {
			c.text(p.Text, k)
		}
	}
	return c.refs
}

// CountFileRefs returns the number of distinct files among lists of
// MessageFiles answers, resolving relative paths against base (the job's
// first stated directory; "" leaves them as written).
func CountFileRefs(base string, lists [][]string) int {
	seen := make(map[string]struct{})
	for _, refs := range lists {
		for _, p := range refs {
			if !path.IsAbs(p) && base != "" {
				p = path.Join(base, p)
			}
			seen[path.Clean(p)] = struct{}{}
		}
	}
	return len(seen)
}

type textKind int

const (
	kindAssistant  textKind = iota // fences, patches, markers
	kindUser                       // … and @-mentions
	kindToolResult                 // … and one-path-per-line listings
)

// fileCounter collects the files one message names.
type fileCounter struct {
	refs []string
	seen map[string]struct{}
}

func (c *fileCounter) add(raw string, sure bool) {
	p, ok := fileRef(raw, sure)
	if !ok {
		return
	}
	if c.seen == nil {
		c.seen = make(map[string]struct{})
	}
	if _, dup := c.seen[p]; dup {
		return
	}
	c.seen[p] = struct{}{}
	c.refs = append(c.refs, p)
}

// Keys whose string value always names a file, by agent: file_path (Claude
// Code, Qwen Code, Gemini CLI, Crush), filePath (opencode, Kilo), filepath
// (Continue), target_file (Cursor-style tools), absolute_path (Gemini CLI
// read_file), notebook_path (Claude Code NotebookEdit).
var fileKeys = map[string]bool{
	"file_path": true, "filePath": true, "filepath": true, "target_file": true,
	"absolute_path": true, "notebook_path": true,
}

// Keys whose value is a file or a directory: counted only when the name
// looks like a file. "path" is a file for Cline's editor and read_files
// but a directory for every agent's grep and glob.
var maybeFileKeys = map[string]bool{
	"path": true, "source_path": true, "target_path": true,
}

// Keys holding a list of paths (Qwen Code/Gemini CLI read_many_files).
var pathListKeys = map[string]bool{"paths": true, "file_paths": true, "filePaths": true}

// toolArgs reads one tool call's arguments: JSON as OpenAI carries them,
// or the raw text of a freeform tool (Codex's apply_patch custom tool).
func (c *fileCounter) toolArgs(args string) {
	var v any
	if err := json.Unmarshal([]byte(args), &v); err != nil {
		c.text(args, kindAssistant)
		return
	}
	c.walk(v, "")
}

func (c *fileCounter) walk(v any, key string) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			c.walk(e, k)
		}
	case []any:
		for _, e := range v {
			if s, ok := e.(string); ok && pathListKeys[key] {
				c.add(s, false)
				continue
			}
			c.walk(e, "")
		}
	case string:
		switch {
		case fileKeys[key]:
			c.add(v, true)
		case maybeFileKeys[key]:
			c.add(v, false)
		case strings.Contains(v, "*** "):
			// apply_patch input, or a shell command carrying one.
			c.text(v, kindAssistant)
		}
	}
}

// Line markers that name exactly one file (sure).
var fileLineMarkers = []string{
	"*** Update File: ", "*** Add File: ", "*** Delete File: ", "*** Move to: ", // Codex apply_patch
}

// text scans one message text. Each rule is one pass over the lines or
// one forward search, so the whole is linear.
func (c *fileCounter) text(s string, k textKind) {
	c.tagged(s)
	c.readToolEcho(s)
	var prev, fence string
	for rest := s; rest != ""; {
		var raw string
		raw, rest, _ = strings.Cut(rest, "\n")
		line := strings.TrimSpace(raw)
		if fence != "" { // inside a code block: only its end matters
			if strings.HasPrefix(line, fence) && strings.Trim(line, fence[:1]) == "" {
				fence = ""
			}
			prev = ""
			continue
		}
		if marker, info, ok := fenceOpen(line); ok {
			c.fenceHeader(info, prev)
			fence = marker
			prev = ""
			continue
		}
		if isAiderFence(line) {
			c.add(bareName(prev), false)
			prev = ""
			continue
		}
		c.line(line, k)
		prev = line
	}
}

func (c *fileCounter) line(line string, k textKind) {
	for _, m := range fileLineMarkers {
		if strings.HasPrefix(line, m) {
			c.add(line[len(m):], true)
			return
		}
	}
	// Qwen Code and Gemini CLI attach @-included files as
	// "Content from @/abs/path:" in the user message.
	if v, ok := strings.CutPrefix(line, "Content from @"); ok {
		c.add(strings.TrimSuffix(v, ":"), true)
		return
	}
	switch k {
	case kindUser:
		// Qwen Code, compacting a conversation, keeps no directory but
		// lists the files it had read as "- /abs/path" in a user message:
		// the only trace of the repository the job belongs to.
		if v, ok := stripListMarker(line); ok && strings.HasPrefix(v, "/") {
			c.add(v, false)
			return
		}
		c.mentions(line)
	case kindToolResult:
		c.listing(line)
	}
}

// mentions counts @path tokens that start a word (so a@b.com is not one).
func (c *fileCounter) mentions(line string) {
	for i := 0; i < len(line); i++ {
		if line[i] != '@' || (i > 0 && !isSpaceOrOpen(line[i-1])) {
			continue
		}
		j := i + 1
		for j < len(line) && line[j] != ' ' && line[j] != '\t' {
			j++
		}
		c.add(trimTrailingPunct(line[i+1:j]), false)
		i = j
	}
}

func isSpaceOrOpen(b byte) bool {
	return b == ' ' || b == '\t' || b == '(' || b == '[' || b == '"' || b == '\''
}

// listing counts a tool-result line that is a path: a glob or ls line, a
// grep hit "path:12:text", opencode's grep header "path:", or a
// read_many_files separator "--- path ---".
func (c *fileCounter) listing(line string) {
	if v, ok := strings.CutPrefix(line, "--- "); ok {
		if v, ok := strings.CutSuffix(v, " ---"); ok {
			c.add(v, false)
		}
		return
	}
	if i := strings.IndexByte(line, ':'); i >= 0 {
		after := line[i+1:]
		if after != "" && (after[0] < '0' || after[0] > '9') {
			return
		}
		line = line[:i]
	}
	// A bare name ("main.go" in a directory listing) is relative to a
	// directory the listing names in prose; resolving it against the
	// workspace would count src/main.go twice, so only paths count.
	if strings.ContainsAny(line, " \t") || !strings.Contains(line, "/") {
		return
	}
	c.add(line, false)
}

// tagged counts <file_content path="…"> (Cline) and <file path='…'>
// (Crush, Roo/Kilo Code) attachments.
func (c *fileCounter) tagged(s string) {
	for _, open := range []string{"<file_content path=", "<file path="} {
		for rest := s; ; {
			i := strings.Index(rest, open)
			if i < 0 {
				break
			}
			rest = rest[i+len(open):]
			if rest == "" || (rest[0] != '"' && rest[0] != '\'') {
				continue
			}
			q := rest[0]
			j := strings.IndexByte(rest[1:], q)
			if j < 0 {
				break
			}
			c.add(rest[1:1+j], true)
			rest = rest[1+j:]
		}
	}
}

// readToolEcho counts Claude Code's synthetic turn for a file the user
// attached: `Called the Read tool with the following input: {"file_path":…}`.
func (c *fileCounter) readToolEcho(s string) {
	const marker = " tool with the following input: "
	for rest := s; ; {
		i := strings.Index(rest, marker)
		if i < 0 {
			return
		}
		rest = rest[i+len(marker):]
		obj, _, _ := strings.Cut(rest, "\n")
		// Go on after the object, not after the marker: many markers on
		// one long line would otherwise rescan it each time.
		rest = rest[len(obj):]
		var v any
		if json.Unmarshal([]byte(obj), &v) == nil {
			c.walk(v, "")
		}
	}
}

// fenceOpen reports a Markdown fence opener (``` or ~~~, three or more)
// and its info string.
func fenceOpen(line string) (marker, info string, ok bool) {
	if len(line) < 3 || (line[0] != '`' && line[0] != '~') {
		return "", "", false
	}
	n := 0
	for n < len(line) && line[n] == line[0] {
		n++
	}
	if n < 3 {
		return "", "", false
	}
	return line[:n], strings.TrimSpace(line[n:]), true
}

// fenceHeader counts the file an opening fence names: a title=, file=,
// path= or filename= attribute, "lang:path", a bare file name, or "lang
// path"; with no info string, the bare file name on the line before
// (Aider's get_files_content).
func (c *fileCounter) fenceHeader(info, prev string) {
	if info == "" {
		c.add(bareName(prev), false)
		return
	}
	for i, tok := range strings.Fields(info) {
		if k, v, ok := strings.Cut(tok, "="); ok {
			switch strings.ToLower(k) {
			case "title", "file", "path", "filename":
				c.add(v, false)
			}
			continue
		}
		if i == 0 {
			if _, v, ok := strings.Cut(tok, ":"); ok {
				tok = v
			}
		}
		c.add(tok, false)
	}
}

// Aider's other fences (base_coder.py all_fences) on a line of their own.
func isAiderFence(line string) bool {
	switch line {
	case "<source>", "<code>", "<pre>", "<codeblock>", "<sourcecode>":
		return true
	}
	return false
}

// bareName returns line when it can be a file name alone on its line.
func bareName(line string) string {
	if strings.ContainsAny(line, " \t") {
		return ""
	}
	return line
}

package secrets

import (
	"slices"
	"strconv"

	"github.com/switchyard/switchyard/chat"
)

// ScanRequest scans everything in req that would be sent upstream as text:
// every message's text parts (images are skipped: a data: URL is pixels,
// not a prompt), every tool call's arguments, and the tool definitions
// (descriptions and parameter schemas, which the client writes and which
// are rendered into the prompt), stop sequences, the user field and a
// response schema. Each Finding's Where names the field and
// its Offset is relative to that field's text. It returns at most
// MaxFindings findings, in request order. A nil request has none.
//
// ScanMessage and ScanOutsideMessages split the same work, for a caller
// that keeps each message's findings across turns.
func ScanRequest(req *chat.Request) []Finding {
	if req == nil {
		return nil
	}
	var out []Finding
	for mi := range req.Messages {
		fs := ScanMessage(&req.Messages[mi])
		for _, f := range fs {
			f.Where = "messages[" + strconv.Itoa(mi) + "]." + f.Where
			out = append(out, f)
			if len(out) == MaxFindings {
				return out
			}
		}
	}
	for _, f := range ScanOutsideMessages(req) {
		out = append(out, f)
		if len(out) == MaxFindings {
			break
		}
	}
	return out
}

// collector gathers findings field by field up to MaxFindings.
type collector struct{ out []Finding }

// scan adds text's findings, naming the field only when there is one, and
// reports whether there is room for more.
func (c *collector) scan(text string, where func() string) bool {
	if text == "" {
		return true
	}
	fs := Scan(text)
	if len(fs) == 0 {
		return true
	}
	w := where()
	for _, f := range fs {
		f.Where = w
		c.out = append(c.out, f)
		if len(c.out) == MaxFindings {
			return false
		}
	}
	return true
}

// ScanMessage scans one message as ScanRequest does; Where is relative to
// the message ("content[0]", "tool_calls[1].arguments"). What one message
// holds does not depend on the others.
func ScanMessage(m *chat.Message) []Finding {
	var c collector
	for pi := range m.Content {
		if m.Content[pi].Type == chat.PartImage {
			continue
		}
		if !c.scan(m.Content[pi].Text, func() string { return "content[" + strconv.Itoa(pi) + "]" }) {
			return c.out
		}
	}
	for ti := range m.ToolCalls {
		if !c.scan(m.ToolCalls[ti].Arguments, func() string {
			return "tool_calls[" + strconv.Itoa(ti) + "].arguments"
		}) {
			return c.out
		}
	}
	return c.out
}

// ScanOutsideMessages scans what ScanRequest reads besides the messages:
// tool definitions, stop sequences, the user field and a response schema.
func ScanOutsideMessages(req *chat.Request) []Finding {
	var c collector
	for ti := range req.Tools {
		t := &req.Tools[ti]
		if !c.scan(t.Description, func() string { return "tools[" + strconv.Itoa(ti) + "].description" }) {
			return c.out
		}
		if !c.scan(string(t.Parameters), func() string { return "tools[" + strconv.Itoa(ti) + "].parameters" }) {
			return c.out
		}
	}
	for si, stop := range req.Stop {
		if !c.scan(stop, func() string { return "stop[" + strconv.Itoa(si) + "]" }) {
			return c.out
		}
	}
	if !c.scan(req.User, func() string { return "user" }) {
		return c.out
	}
	if req.ResponseFormat != nil {
		c.scan(string(req.ResponseFormat.Schema), func() string { return "response_format.json_schema.schema" })
	}
	return c.out
}

// Kinds returns the kinds among findings, each once, in order of first
// appearance.
func Kinds(fs []Finding) []string {
	var kinds []string
	for _, f := range fs {
		if !slices.Contains(kinds, f.Kind) {
			kinds = append(kinds, f.Kind)
		}
	}
	return kinds
}

package secrets

import (
	"strconv"

	"github.com/switchyard/switchyard/providers"
)

// ScanRequest scans everything in req that would be sent upstream as text:
// every message's text parts (images are skipped: a data: URL is pixels,
// not a prompt), every tool call's arguments, and the tool definitions
// (descriptions and parameter schemas, which the client writes and which
// are rendered into the prompt), stop sequences, the user field and a
// response schema. Each Finding's Where names the field and
// its Offset is relative to that field's text. It returns at most
// MaxFindings findings, in request order. A nil request has none.
func ScanRequest(req *providers.Request) []Finding {
	if req == nil {
		return nil
	}
	var out []Finding
	collect := func(text string, where func() string) bool {
		if text == "" {
			return true
		}
		fs := Scan(text)
		if len(fs) == 0 {
			return true
		}
		w := where() // built only when there is something to name
		for _, f := range fs {
			f.Where = w
			out = append(out, f)
			if len(out) == MaxFindings {
				return false
			}
		}
		return true
	}
	for mi := range req.Messages {
		m := &req.Messages[mi]
		for pi := range m.Content {
			if m.Content[pi].Type == providers.PartImage {
				continue
			}
			if !collect(m.Content[pi].Text, func() string {
				return "messages[" + strconv.Itoa(mi) + "].content[" + strconv.Itoa(pi) + "]"
			}) {
				return out
			}
		}
		for ti := range m.ToolCalls {
			if !collect(m.ToolCalls[ti].Arguments, func() string {
				return "messages[" + strconv.Itoa(mi) + "].tool_calls[" + strconv.Itoa(ti) + "].arguments"
			}) {
				return out
			}
		}
	}
	for ti := range req.Tools {
		t := &req.Tools[ti]
		if !collect(t.Description, func() string {
			return "tools[" + strconv.Itoa(ti) + "].description"
		}) {
			return out
		}
		if !collect(string(t.Parameters), func() string {
			return "tools[" + strconv.Itoa(ti) + "].parameters"
		}) {
			return out
		}
	}
	// The rest of what adapters forward as text: stop sequences, the user
	// field, and a response schema.
	for si, stop := range req.Stop {
		if !collect(stop, func() string { return "stop[" + strconv.Itoa(si) + "]" }) {
			return out
		}
	}
	if !collect(req.User, func() string { return "user" }) {
		return out
	}
	if req.ResponseFormat != nil {
		collect(string(req.ResponseFormat.Schema), func() string { return "response_format.json_schema.schema" })
	}
	return out
}

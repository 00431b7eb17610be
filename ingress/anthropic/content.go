package anthropic

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/ingress"
)

type wireMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

// wireBlock is every content block kind's fields at once; the type says
// which apply.
type wireBlock struct {
	Type      string          `json:"type"`
	Text      *string         `json:"text"`
	Source    json.RawMessage `json:"source"`
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
	ToolUseID string          `json:"tool_use_id"`
	Content   json.RawMessage `json:"content"`
	IsError   bool            `json:"is_error"`
	Thinking  *string         `json:"thinking"`
	Signature string          `json:"signature"`
	Data      string          `json:"data"`
}

type wireSource struct {
	Type      string          `json:"type"`
	MediaType string          `json:"media_type"`
	Data      string          `json:"data"`
	URL       string          `json:"url"`
	Content   json.RawMessage `json:"content"`
}

// decodeMessage decodes one element of messages, p naming it in errors.
// It depends on nothing but raw: the router decodes each element once and
// keeps what it stands for.
func decodeMessage(raw []byte, p string) ([]chat.Message, *ingress.Error) {
	var w wireMessage
	if err := json.Unmarshal(raw, &w); err != nil {
		return nil, jsonError(p, err)
	}
	cp := p + ".content"
	switch w.Role {
	case "user", "assistant", "system":
	case "":
		return nil, badParam(p+".role", "%s.role is required: user or assistant", p)
	default:
		return nil, badParam(p+".role", "%s.role must be user or assistant (or system), not %q", p, w.Role)
	}
	if isNull(w.Content) {
		return nil, badParam(cp, "%s is required: a string or an array of content blocks", cp)
	}
	if w.Role == "system" {
		// Claude Code states its environment in role:"system" entries
		// for models it does not know (NOTES.md §2): they are system
		// messages where they stand.
		parts, e := decodeTextOnly(w.Content, cp)
		if e != nil {
			return nil, e
		}
		return []chat.Message{{Role: chat.RoleSystem, Content: parts}}, nil
	}
	role := chat.RoleUser
	if w.Role == "assistant" {
		role = chat.RoleAssistant
	}
	switch w.Content[0] {
	case '"':
		var s string
		if err := json.Unmarshal(w.Content, &s); err != nil {
			return nil, jsonError(cp, err)
		}
		return []chat.Message{{Role: role, Content: []chat.Part{{Type: chat.PartText, Text: s}}}}, nil
	case '[':
	default:
		return nil, badParam(cp, "%s must be a string or an array of content blocks", cp)
	}
	var blocks []json.RawMessage
	if err := json.Unmarshal(w.Content, &blocks); err != nil {
		return nil, badParam(cp, "%s must be a string or an array of content blocks", cp)
	}
	if role == chat.RoleUser {
		return decodeUserBlocks(blocks, cp)
	}
	m, e := decodeAssistantBlocks(blocks, cp)
	if e != nil {
		return nil, e
	}
	return []chat.Message{m}, nil
}

func decodeBlock(raw json.RawMessage, bp string) (*wireBlock, *ingress.Error) {
	var b wireBlock
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, jsonError(bp, err)
	}
	if b.Type == "" {
		return nil, badParam(bp+".type", "%s.type is required", bp)
	}
	return &b, nil
}

// decodeUserBlocks turns a user message's blocks into its tool results,
// one tool message each in order, then a user message with the rest (none
// when there is no rest), as every chat-shaped upstream wants them.
func decodeUserBlocks(blocks []json.RawMessage, p string) ([]chat.Message, *ingress.Error) {
	if len(blocks) == 0 {
		return nil, badParam(p, "%s must not be empty", p)
	}
	var out []chat.Message
	var parts []chat.Part
	for i, raw := range blocks {
		bp := fmt.Sprintf("%s[%d]", p, i)
		b, e := decodeBlock(raw, bp)
		if e != nil {
			return nil, e
		}
		switch b.Type {
		case "tool_result":
			m, e := decodeToolResult(b, bp)
			if e != nil {
				return nil, e
			}
			out = append(out, m)
		case "tool_use", "thinking", "redacted_thinking":
			return nil, badParam(bp+".type", "%s is a %s block, which only assistant messages hold", bp, b.Type)
		default:
			ps, e := decodeUserPart(b, bp)
			if e != nil {
				return nil, e
			}
			parts = append(parts, ps...)
		}
	}
	if parts != nil || out == nil {
		if parts == nil {
			parts = []chat.Part{}
		}
		out = append(out, chat.Message{Role: chat.RoleUser, Content: parts})
	}
	return out, nil
}

// decodeUserPart reads a block that becomes content: text, image or a
// text document.
func decodeUserPart(b *wireBlock, bp string) ([]chat.Part, *ingress.Error) {
	switch b.Type {
	case "text":
		if b.Text == nil {
			return nil, badParam(bp+".text", "%s.text is required for a text block", bp)
		}
		return []chat.Part{{Type: chat.PartText, Text: *b.Text}}, nil
	case "image":
		url, e := decodeImageSource(b.Source, bp+".source")
		if e != nil {
			return nil, e
		}
		return []chat.Part{{Type: chat.PartImage, ImageURL: url}}, nil
	case "document":
		return decodeDocument(b.Source, bp+".source")
	}
	return nil, badParam(bp+".type", "%s.type %q is not supported here: a user message holds text, image, document and tool_result blocks", bp, b.Type)
}

func decodeSource(raw json.RawMessage, sp string) (*wireSource, *ingress.Error) {
	if isNull(raw) {
		return nil, badParam(sp, "%s is required", sp)
	}
	var s wireSource
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, jsonError(sp, err)
	}
	return &s, nil
}

// decodeImageSource returns a base64 image as a data: URL, and a URL
// image's URL.
func decodeImageSource(raw json.RawMessage, sp string) (string, *ingress.Error) {
	s, e := decodeSource(raw, sp)
	if e != nil {
		return "", e
	}
	switch s.Type {
	case "base64":
		if s.MediaType == "" || s.Data == "" {
			return "", badParam(sp, "%s needs media_type and data for a base64 image", sp)
		}
		return "data:" + s.MediaType + ";base64," + s.Data, nil
	case "url":
		if s.URL == "" {
			return "", badParam(sp+".url", "%s.url is required for a url image", sp)
		}
		return s.URL, nil
	}
	return "", badParam(sp+".type", "%s.type must be base64 or url, not %q (switchyard has no Files API)", sp, s.Type)
}

// decodeDocument reads a plain-text document as text; a PDF or file
// document is refused, since no upstream behind switchyard is sure to read
// one.
func decodeDocument(raw json.RawMessage, sp string) ([]chat.Part, *ingress.Error) {
	s, e := decodeSource(raw, sp)
	if e != nil {
		return nil, e
	}
	switch s.Type {
	case "text":
		return []chat.Part{{Type: chat.PartText, Text: s.Data}}, nil
	case "content":
		if isNull(s.Content) {
			return nil, badParam(sp+".content", "%s.content is required for a content document", sp)
		}
		return decodeTextOnly(s.Content, sp+".content")
	}
	return nil, badParam(sp+".type", "%s.type %q is not supported: switchyard reads only plain-text documents (source type \"text\" or \"content\"); send the document's text instead", sp, s.Type)
}

func decodeToolResult(b *wireBlock, bp string) (chat.Message, *ingress.Error) {
	if b.ToolUseID == "" {
		return chat.Message{}, badParam(bp+".tool_use_id", "%s.tool_use_id is required: the id of the tool_use block this answers", bp)
	}
	m := chat.Message{Role: chat.RoleTool, ToolCallID: b.ToolUseID, ToolError: b.IsError, Content: []chat.Part{}}
	cp := bp + ".content"
	switch {
	case isNull(b.Content):
	case b.Content[0] == '"':
		var s string
		if err := json.Unmarshal(b.Content, &s); err != nil {
			return chat.Message{}, jsonError(cp, err)
		}
		m.Content = []chat.Part{{Type: chat.PartText, Text: s}}
	default:
		var blocks []json.RawMessage
		if err := json.Unmarshal(b.Content, &blocks); err != nil {
			return chat.Message{}, badParam(cp, "%s must be a string or an array of text and image blocks", cp)
		}
		for i, raw := range blocks {
			ip := fmt.Sprintf("%s[%d]", cp, i)
			ib, e := decodeBlock(raw, ip)
			if e != nil {
				return chat.Message{}, e
			}
			if ib.Type == "tool_result" {
				return chat.Message{}, badParam(ip+".type", "%s: a tool_result may not hold another", ip)
			}
			ps, e := decodeUserPart(ib, ip)
			if e != nil {
				return chat.Message{}, e
			}
			m.Content = append(m.Content, ps...)
		}
	}
	return m, nil
}

// decodeAssistantBlocks reads an earlier answer: its text, its tool calls
// (input re-encoded as JSON text) and its thinking, kept so it can go back
// to the vendor that signed it.
func decodeAssistantBlocks(blocks []json.RawMessage, p string) (chat.Message, *ingress.Error) {
	m := chat.Message{Role: chat.RoleAssistant}
	for i, raw := range blocks {
		bp := fmt.Sprintf("%s[%d]", p, i)
		b, e := decodeBlock(raw, bp)
		if e != nil {
			return m, e
		}
		switch b.Type {
		case "text":
			if b.Text == nil {
				return m, badParam(bp+".text", "%s.text is required for a text block", bp)
			}
			m.Content = append(m.Content, chat.Part{Type: chat.PartText, Text: *b.Text})
		case "tool_use":
			if b.ID == "" {
				return m, badParam(bp+".id", "%s.id is required for a tool_use block", bp)
			}
			if b.Name == "" {
				return m, badParam(bp+".name", "%s.name is required for a tool_use block", bp)
			}
			args, e := encodeInput(b.Input, bp+".input")
			if e != nil {
				return m, e
			}
			m.ToolCalls = append(m.ToolCalls, chat.ToolCall{ID: b.ID, Name: b.Name, Arguments: args})
		case "thinking":
			if b.Thinking == nil {
				return m, badParam(bp+".thinking", "%s.thinking is required for a thinking block", bp)
			}
			m.Reasoning = append(m.Reasoning, chat.Reasoning{Text: *b.Thinking, Signature: b.Signature})
		case "redacted_thinking":
			if b.Data == "" {
				return m, badParam(bp+".data", "%s.data is required for a redacted_thinking block", bp)
			}
			m.Reasoning = append(m.Reasoning, chat.Reasoning{Redacted: b.Data})
		case "tool_result", "image", "document":
			return m, badParam(bp+".type", "%s is a %s block, which only user messages hold", bp, b.Type)
		default:
			return m, badParam(bp+".type", "%s.type %q is not supported: an assistant message holds text, tool_use, thinking and redacted_thinking blocks (switchyard runs no server tools)", bp, b.Type)
		}
	}
	if m.Content == nil && m.ToolCalls == nil && m.Reasoning == nil {
		m.Content = []chat.Part{}
	}
	return m, nil
}

// encodeInput is a tool_use input object as compact JSON text.
func encodeInput(raw json.RawMessage, ip string) (string, *ingress.Error) {
	if isNull(raw) {
		return "{}", nil
	}
	if !isObject(raw) {
		return "", badParam(ip, "%s must be a JSON object", ip)
	}
	var buf bytes.Buffer
	buf.Grow(len(raw))
	if err := json.Compact(&buf, raw); err != nil {
		return "", badParam(ip, "%s is not valid JSON: %v", ip, err)
	}
	return buf.String(), nil
}

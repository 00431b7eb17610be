package workspace

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/chat"
)

func call(id, name, args string) chat.ToolCall {
	return chat.ToolCall{ID: id, Name: name, Arguments: args}
}

func asst(text string, calls ...chat.ToolCall) chat.Message {
	m := chat.Message{Role: chat.RoleAssistant, ToolCalls: calls}
	if text != "" {
		m.Content = []chat.Part{{Type: chat.PartText, Text: text}}
	}
	return m
}

func result(id, text string) chat.Message {
	return chat.Message{Role: chat.RoleTool, ToolCallID: id, Content: []chat.Part{{Type: chat.PartText, Text: text}}}
}

func excerpt(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile("testdata/agents/" + name + ".txt")
	if err != nil {
		t.Fatal(err)
	}
	_, body, _ := strings.Cut(string(data), "# ---\n")
	return body
}

// The tool names and argument keys below are the ones in the tools each
// agent declared in its recorded request (see testdata/agents); Crush's
// and Cline VS Code's come from their sources.
func TestCountFiles(t *testing.T) {
	sys := func(s string) chat.Message { return textMsg(chat.RoleSystem, s) }
	user := func(s ...string) chat.Message { return textMsg(chat.RoleUser, s...) }
	const env = "<env>\n  Working directory: /home/dev/src/demo-app\n</env>"
	tests := []struct {
		name string
		msgs []chat.Message
		want int
	}{
		{"empty", nil, 0},
		{"claude-code", []chat.Message{
			sys(excerpt(t, "claude-code-system")), user(userPrompt),
			asst("", call("1", "Glob", `{"pattern":"**/*.go","path":"/home/dev/src/demo-app"}`)),
			result("1", "/home/dev/src/demo-app/src/main.go\n/home/dev/src/demo-app/src/main_test.go"),
			asst("", call("2", "Read", `{"file_path":"/home/dev/src/demo-app/src/main.go"}`)),
			result("2", "     1\tpackage main\n     2\t\n     3\tfunc main() { fmt.Println(\"x\") }\n"),
			asst("", call("3", "Edit", `{"file_path":"/home/dev/src/demo-app/src/main.go","old_string":"a","new_string":"b"}`)),
		}, 2},
		{"claude-code-attached-file", []chat.Message{
			sys(excerpt(t, "claude-code-system")),
			user("Called the Read tool with the following input: {\"file_path\":\"/home/dev/src/demo-app/README.md\"}", "Result of calling the Read tool: \"# demo\""),
			user("look at @src/main.go and README.md"),
		}, 2},
		{"opencode", []chat.Message{
			sys(excerpt(t, "opencode")), user(userPrompt),
			asst("", call("1", "grep", `{"pattern":"func main","path":"/home/dev/src/demo-app","include":"*.go"}`)),
			result("1", "Found 2 matches\n/home/dev/src/demo-app/src/main.go:\n  Line 3: func main() {}\n\n/home/dev/src/demo-app/cmd/tool/main.go:\n  Line 5: func main() {"),
			asst("", call("2", "read", `{"filePath":"/home/dev/src/demo-app/src/main.go"}`)),
			asst("", call("3", "write", `{"filePath":"/home/dev/src/demo-app/src/run.go","content":"package main\n"}`)),
		}, 3},
		{"kilo", []chat.Message{
			sys("You are Kilo."), user(userPrompt, excerpt(t, "kilo")),
			asst("", call("1", "edit", `{"filePath":"src/main.go","oldString":"a","newString":"b"}`)),
			asst("", call("2", "read", `{"filePath":"/home/dev/src/demo-app/src/main.go"}`)),
		}, 1},
		{"qwen-code", []chat.Message{
			sys("You are Qwen Code."),
			user(excerpt(t, "qwen-code-single"), "Explain @src/main.go\n--- Content from referenced files ---\nContent from @/home/dev/src/demo-app/src/main.go:\npackage main\n--- End of content ---"),
			asst("", call("1", "list_directory", `{"path":"/home/dev/src/demo-app/src"}`)),
			result("1", "Directory listing for /home/dev/src/demo-app/src:\nmain.go"),
			asst("", call("2", "read_many_files", `{"paths":["src/**/*.go","README.md","docs/"]}`)),
			result("2", "--- /home/dev/src/demo-app/README.md ---\n\n# demo\n\n--- /home/dev/src/demo-app/src/util.go ---\n\npackage main\n"),
			asst("", call("3", "read_file", `{"absolute_path":"/home/dev/src/demo-app/go.mod"}`)),
		}, 4},
		{"gemini-cli", []chat.Message{
			user(excerpt(t, "gemini-cli"), userPrompt),
			asst("", call("1", "list_directory", `{"dir_path":"/home/dev/src/demo-app"}`)),
			asst("", call("2", "read_file", `{"file_path":"/home/dev/src/shared-lib/lib.go"}`)),
			asst("", call("3", "replace", `{"file_path":"src/main.go","old_string":"a","new_string":"b"}`)),
		}, 2},
		{"codex-apply-patch-freeform", []chat.Message{
			user(excerpt(t, "codex")),
			asst("", call("1", "apply_patch", "*** Begin Patch\n*** Update File: src/main.go\n@@\n-func main() {}\n+func main() { run() }\n*** Add File: src/run.go\n+package main\n*** Delete File: old.go\n*** End Patch\n")),
			asst("", call("2", "shell", `{"command":["bash","-lc","apply_patch <<'EOF'\n*** Begin Patch\n*** Update File: /home/dev/src/demo-app/src/main.go\n*** Move to: src/app.go\n*** End Patch\nEOF"]}`)),
		}, 4},
		{"cline-cli", []chat.Message{
			sys(excerpt(t, "cline")), user(userPrompt),
			asst("", call("1", "read_files", `{"files":[{"path":"/home/dev/src/demo-app/src/main.go","start_line":null},{"path":"/home/dev/src/demo-app/go.mod"}]}`)),
			asst("", call("2", "search_codebase", `{"queries":["func main"],"path":"/home/dev/src/demo-app"}`)),
			asst("", call("3", "editor", `{"command":"str_replace","path":"/home/dev/src/demo-app/src/main.go","old_text":"a","new_text":"b"}`)),
		}, 2},
		{"cline-vscode", []chat.Message{
			sys(excerpt(t, "cline-vscode")),
			user("<task>\nFix it\n</task>", "<file_content path=\"src/main.go\">\npackage main\n</file_content>", excerpt(t, "cline-vscode-env")),
		}, 1},
		{"continue", []chat.Message{
			sys(excerpt(t, "continue")), user(userPrompt),
			asst("", call("1", "List", `{"dirpath":"src"}`)),
			asst("", call("2", "Read", `{"filepath":"src/main.go"}`)),
			asst("", call("3", "Read", `{"filepath":"/home/dev/src/demo-app/src/main.go"}`)),
		}, 1},
		{"crush", []chat.Message{
			sys(excerpt(t, "crush")), user(userPrompt),
			asst("", call("1", "view", `{"file_path":"/home/dev/src/demo-app/src/main.go"}`)),
			asst("Here is the fix:\n```go title=\"src/util.go\"\npackage main\n```\n"),
		}, 2},
		{"aider", []chat.Message{
			sys("Act as an expert software developer."), user(excerpt(t, "aider")),
			asst("Ok, any changes I propose will be to those files."),
			user(userPrompt),
			asst("src/main.go\n```go\n<<<<<<< SEARCH\nfunc main() {}\n=======\nfunc main() { run() }\n>>>>>>> REPLACE\n```\n"),
		}, 2},
		{"fence-headers", []chat.Message{
			user("```go:cmd/a.go\n```\n```ts path=web/b.ts\n```\n```c.py\n```\n```python\nimport os\n```\n~~~~ d.rs\n~~~~\n"),
		}, 4},
		{"not-files", []chat.Message{
			user("see https://example.com/a.go and @Override and me@example.com and ~/x.go and C:\\a\\b.go and v1.2.3"),
			asst("", call("1", "glob", `{"pattern":"**/*.go","path":"/home/dev/src/demo-app"}`)),
			asst("", call("2", "read", `{"filePath":"/home/dev/src/demo-app/src/"}`)),
			asst("", call("3", "read", `{"filePath":"."}`)),
			asst("", call("4", "bad", `{"file_path": 12, "path": ["a.go"]}`)),
			result("1", "No files found\nok  \tgithub.com/x/y\t0.1s\nfmt.Println(x)\n"),
		}, 0},
		{"system-messages-not-counted", []chat.Message{
			sys("<example>\nRead src/foo.go then @bar.go\n```baz.go\n```\n*** Update File: qux.go\n</example>"),
		}, 0},
		{"inside-fence-not-counted", []chat.Message{
			result("1", "```\nsrc/a.go\nsrc/b.go\n```\nsrc/c.go"),
		}, 1},
		{"relative-and-absolute-once", []chat.Message{
			sys(env), user("@src/main.go @./src/main.go @/home/dev/src/demo-app/src/main.go"),
		}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CountFiles(&chat.Request{Messages: tt.msgs}); got != tt.want {
				t.Fatalf("CountFiles = %d, want %d", got, tt.want)
			}
		})
	}
	if CountFiles(nil) != 0 {
		t.Fatal("CountFiles(nil) != 0")
	}
}

// The overviews agents attach to every first message describe the
// repository, not the job.
func TestCountFilesIgnoresWorkspaceOverviews(t *testing.T) {
	for _, e := range loadAgentExcerpts(t) {
		want := 0
		if e.name == "aider" {
			want = 2 // Aider's excerpt is the files it added to the chat
		}
		if got := CountFiles(requestFor(t, e)); got != want {
			t.Errorf("%s: CountFiles = %d, want %d", e.name, got, want)
		}
	}
}

// TestMessageFilesKeepsDotDot: a path with ".." is kept as written, since
// after a symbolic link it goes up from where the link leads (the privacy
// lookup judges both readings); counting still takes it cleaned.
func TestMessageFilesKeepsDotDot(t *testing.T) {
	m := asst("", call("c1", "read", `{"file_path":"link/../secret/k.go"}`), call("c2", "read", `{"file_path":"/r/a/../b.go"}`),
		call("c3", "read", `{"file_path":"./src/x.go"}`))
	got := MessageFiles(&m)
	want := []string{"link/../secret/k.go", "/r/a/../b.go", "src/x.go"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("MessageFiles = %q, want %q", got, want)
	}
	if n := CountFileRefs("/r", [][]string{got, {"/r/b.go", "/r/secret/k.go", "secret/k.go"}}); n != 3 {
		t.Errorf("CountFileRefs = %d, want 3 (secret/k.go, b.go, src/x.go)", n)
	}
}

// TestMessageFilesAfterCompaction: what an agent keeps of a conversation
// it compacted still names the files it had read, and so the repository a
// later turn belongs to when no directory is stated any more.
func TestMessageFilesAfterCompaction(t *testing.T) {
	files, err := filepath.Glob("testdata/compacted/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no compacted samples: %v", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		head, body, _ := strings.Cut(string(data), "# ---\n")
		_, want, _ := strings.Cut(head, "# files:")
		want, _, _ = strings.Cut(want, "\n")
		m := textMsg(chat.RoleUser, body)
		if got := MessageFiles(&m); strings.Join(got, " ") != strings.TrimSpace(want) {
			t.Errorf("%s: MessageFiles = %q, want %q", f, got, want)
		}
	}
	for _, s := range []string{"- /home/dev/src/demo-app", "- see /home/dev/x.go", "- ~/x.go", "-/home/dev/x.go"} {
		m := textMsg(chat.RoleUser, s)
		if got := MessageFiles(&m); len(got) != 0 {
			t.Errorf("%q: MessageFiles = %q, want none", s, got)
		}
	}
}

package workspace

import (
	"fmt"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/chat"
)

// bigRequest is a realistic 1 MiB agent conversation: an opencode system
// prompt, then rounds of tool calls and results that read and grep files.
func bigRequest(tb testing.TB) *chat.Request {
	sysText := strings.Repeat("Follow the conventions of the codebase. ", 200) +
		"\n<env>\n  Working directory: /home/dev/src/demo-app\n  Workspace root folder: /home/dev/src/demo-app\n</env>\n"
	req := &chat.Request{Messages: []chat.Message{
		textMsg(chat.RoleSystem, sysText), textMsg(chat.RoleUser, "Refactor @src/main.go"),
	}}
	code := strings.Repeat("\tfmt.Println(\"hello, world\") // line of code\n", 40)
	size := len(sysText)
	for i := 0; size < 1<<20; i++ {
		f := fmt.Sprintf("/home/dev/src/demo-app/pkg/p%d/file%d.go", i%37, i)
		args := fmt.Sprintf(`{"filePath":%q}`, f)
		res := "package p\n\nfunc F() {\n" + code + "}\n" + f + ":12:\tfmt.Println\n"
		req.Messages = append(req.Messages,
			asst("", call(fmt.Sprint(i), "read", args)),
			result(fmt.Sprint(i), res))
		size += len(args) + len(res)
	}
	return req
}

func BenchmarkDirsCountFiles1MiB(b *testing.B) {
	req := bigRequest(b)
	b.SetBytes(1 << 20)
	b.ReportAllocs()
	for b.Loop() {
		if len(Dirs(req)) != 1 || CountFiles(req) == 0 {
			b.Fatal("wrong answer")
		}
	}
}

// Inputs built to make a careless scanner quadratic: one 1 MiB line of
// markers, unclosed tags and mentions, in every trusted and untrusted place.
func BenchmarkDirsCountFilesAdversarial1MiB(b *testing.B) {
	var s strings.Builder
	for s.Len() < 1<<20 {
		s.WriteString(`<cwd>/a <workspace_roots><root> <file path="x Called the Read tool with the following input: {"file_path": @a/ `)
	}
	line := s.String()
	req := &chat.Request{Messages: []chat.Message{
		textMsg(chat.RoleSystem, line), textMsg(chat.RoleUser, line),
		asst(line), result("1", line),
	}}
	b.SetBytes(4 << 20)
	for b.Loop() {
		Dirs(req)
		CountFiles(req)
	}
}

func FuzzCountFiles(f *testing.F) {
	f.Add("@src/a.go\n```go title=\"b.go\"\n```", `{"file_path":"c.go","paths":["d.go"]}`, "/x/e.go:1:x\n--- /x/f.go ---")
	f.Add("src/a.go\n```\nx\n```", "*** Begin Patch\n*** Update File: a.go\n", "Called the Read tool with the following input: {\"file_path\":\"z.go\"}")
	f.Fuzz(func(t *testing.T, user, args, res string) {
		req := &chat.Request{Messages: []chat.Message{
			textMsg(chat.RoleUser, user), asst(user, call("1", "t", args)), result("1", res),
		}}
		if n := CountFiles(req); n < 0 {
			t.Fatal(n)
		}
	})
}

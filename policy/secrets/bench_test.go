package secrets

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/chat"
)

// cleanCorpus is all clean samples joined: the common case, a prompt with
// no credential, which every detector must read to the end.
func cleanCorpus(tb testing.TB) string {
	files, err := filepath.Glob("../tokenize/testdata/samples/*.txt")
	if err != nil || len(files) == 0 {
		tb.Fatalf("no samples: %v", err)
	}
	var b strings.Builder
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		b.Write(data)
		b.WriteByte('\n')
	}
	return b.String()
}

func BenchmarkScanSamples(b *testing.B) {
	text := cleanCorpus(b)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if fs := Scan(text); len(fs) != 0 {
			b.Fatal("unexpected finding")
		}
	}
}

func BenchmarkContainsSamples(b *testing.B) {
	text := cleanCorpus(b)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if Contains(text) {
			b.Fatal("unexpected finding")
		}
	}
}

// BenchmarkScanRequest1MiB: a 1 MiB agent request, file contents in tool
// results and a few tool calls, as a long coding session sends it.
func BenchmarkScanRequest1MiB(b *testing.B) {
	corpus := cleanCorpus(b)
	req := &chat.Request{}
	size := 0
	for i := 0; size < 1<<20; i++ {
		chunk := corpus[(i*40000)%len(corpus):]
		chunk = chunk[:min(len(chunk), 1<<20-size, 40000)]
		req.Messages = append(req.Messages,
			chat.Message{Role: chat.RoleAssistant, ToolCalls: []chat.ToolCall{{ID: "c", Name: "read", Arguments: `{"path":"src/file.go"}`}}},
			chat.Message{Role: chat.RoleTool, ToolCallID: "c", Content: []chat.Part{{Type: chat.PartText, Text: chunk}}},
		)
		size += len(chunk) + 22
	}
	b.SetBytes(int64(size))
	for b.Loop() {
		if fs := ScanRequest(req); len(fs) != 0 {
			b.Fatal("unexpected finding")
		}
	}
}

// BenchmarkScanDense: text dense with anchors that fail late (separators,
// "eyJ", "sk-", "://"), the worst case for the per-hit checks.
func BenchmarkScanDense(b *testing.B) {
	unit := `token = tokenFor(x); url := "https://example.com:8080/a?b=c"; class="sk-fade-in-out-transition"; h := "eyJub3Q"; x:y:z==w` + "\n"
	text := strings.Repeat(unit, (1<<20)/len(unit))
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		Scan(text)
	}
}

// BenchmarkScanAdversarial: inputs built to make per-hit checks read their
// whole window (repeated anchors, unclosed quotes after labels, headers
// without bodies). The scan must stay linear: this is a slower constant,
// not a quadratic blow-up.
func BenchmarkScanAdversarial(b *testing.B) {
	units := map[string]string{
		"jwt-anchors":    "eyJ",
		"slack-prefixes": "xoxb-1",
		"unclosed-label": `token='` + strings.Repeat("a1B2", 8),
		"pem-headers":    "-----BEGIN RSA PRIVATE KEY-----\n",
		"url-authority":  "://" + strings.Repeat("u", 200) + ":",
		"sk-runs":        "sk-" + strings.Repeat("a1", 20) + " ",
	}
	for name, unit := range units {
		text := strings.Repeat(unit, (1<<20)/len(unit))
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				Scan(text)
			}
		})
	}
}

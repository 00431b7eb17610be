package secrets

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The templates in testdata/positive are realistic files a coding agent
// sends (an .env, a Helm values file, a service-account key, Go, shell,
// Django settings, a terminal log). Each {{kind:fake}} marker is replaced
// by a fake credential (fake_test.go) and says which Finding must cover
// exactly that range; kind "-" means the value must not be reported.

var marker = regexp.MustCompile(`\{\{([a-z0-9-]+):([a-z0-9-]+)\}\}`)

type expectation struct {
	kind       string
	start, end int
}

// render fills a template and returns the text and the expected findings,
// in order.
func render(tmpl string, f *faker) (string, []expectation) {
	var b strings.Builder
	var want []expectation
	last := 0
	for _, m := range marker.FindAllStringSubmatchIndex(tmpl, -1) {
		b.WriteString(tmpl[last:m[0]])
		kind, name := tmpl[m[2]:m[3]], tmpl[m[4]:m[5]]
		v := f.fake(name)
		if kind != "-" {
			want = append(want, expectation{kind, b.Len(), b.Len() + len(v)})
		}
		b.WriteString(v)
		last = m[1]
	}
	b.WriteString(tmpl[last:])
	return b.String(), want
}

func TestScanPositiveTemplates(t *testing.T) {
	files, err := filepath.Glob("testdata/positive/*.tmpl")
	if err != nil || len(files) == 0 {
		t.Fatalf("no templates: %v", err)
	}
	for _, file := range files {
		tmpl, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		// Several seeds: a rule that only passes for lucky random draws
		// should fail here, not in production.
		for seed := uint64(1); seed <= 20; seed++ {
			text, want := render(string(tmpl), newFaker(seed))
			got := Scan(text)
			if !sameFindings(got, want) {
				t.Errorf("%s seed %d:\n got  %s\n want %s", filepath.Base(file), seed,
					describe(text, got), describeWant(text, want))
			}
			if len(want) > 0 != Contains(text) {
				t.Errorf("%s seed %d: Contains = %v", filepath.Base(file), seed, !(len(want) > 0))
			}
		}
	}
}

func sameFindings(got []Finding, want []expectation) bool {
	if len(got) != len(want) {
		return false
	}
	for i, g := range got {
		w := want[i]
		if g.Kind != w.kind || g.Offset != w.start || g.Offset+g.Length != w.end {
			return false
		}
	}
	return true
}

func describe(text string, fs []Finding) string {
	var parts []string
	for _, f := range fs {
		parts = append(parts, f.Kind+"@"+snippet(text, f.Offset, f.Offset+f.Length))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func describeWant(text string, ws []expectation) string {
	var parts []string
	for _, w := range ws {
		parts = append(parts, w.kind+"@"+snippet(text, w.start, w.end))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// snippet shows the start and end of a range, enough to find it.
func snippet(text string, start, end int) string {
	s := text[start:end]
	if len(s) > 24 {
		s = s[:12] + "…" + s[len(s)-8:]
	}
	return strings.ReplaceAll(s, "\n", `\n`)
}

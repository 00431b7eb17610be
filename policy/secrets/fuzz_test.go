package secrets

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzScan: any input, however malformed, gives findings inside the text,
// in order, without overlaps, at most MaxFindings, and Contains agrees.
func FuzzScan(f *testing.F) {
	fk := newFaker(21)
	for _, name := range []string{"aws-id", "google", "ghp", "glpat", "slack-bot", "slack-webhook",
		"stripe", "openai-proj", "anthropic", "jwt", "pem-rsa", "pem-pkcs8-json", "pem-pgp"} {
		f.Add(fk.fake(name))
	}
	for _, s := range []string{
		"password=" + fk.fake("password"),
		`{"private_key": "-----BEGIN PRIVATE KEY-----\nMIIE`,
		"https://u:" + fk.fake("url-password") + "@h/",
		"Authorization: Bearer ",
		"eyJhbGciOiJIUzI1NiJ9.eyJ.",
		"-----BEGIN  PRIVATE KEY-----",
		"a:=\\\"", "xoxb--------------------1", "AQ.Ab",
	} {
		f.Add(s)
	}
	if files, _ := filepath.Glob("../tokenize/testdata/samples/*.txt"); len(files) > 0 {
		b, _ := os.ReadFile(files[0])
		f.Add(string(b[:min(len(b), 4096)]))
	}
	f.Fuzz(func(t *testing.T, text string) {
		got := Scan(text)
		if len(got) > MaxFindings {
			t.Fatalf("%d findings, more than MaxFindings", len(got))
		}
		end := 0
		for _, g := range got {
			if g.Length <= 0 || g.Offset < end || g.Offset+g.Length > len(text) {
				t.Fatalf("finding %+v out of order or outside a text of %d bytes", g, len(text))
			}
			if g.Kind == "" || g.Where != "" {
				t.Fatalf("finding %+v: bad Kind or Where", g)
			}
			end = g.Offset + g.Length
		}
		if c := Contains(text); c != (len(got) > 0) {
			t.Fatalf("Contains = %v but Scan found %d", c, len(got))
		}
	})
}

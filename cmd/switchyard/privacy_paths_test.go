package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/configs"
	"github.com/switchyard/switchyard/providers/mistral/mistralfake"
	"github.com/switchyard/switchyard/providers/ollama/ollamafake"
)

// TestPrivacyPaths is the table of issue 11, tried from outside: a public
// repository pub/ with a private subdirectory pub/secret/, a private
// repository priv/ with no policy file (the bundled default_privacy is
// private), and a link pub/link -> priv. Signals that loosen count only
// where the agent states its directory; signals that tighten count from
// everywhere: the real path behind a link, and every file the conversation
// references, absolute or relative to a stated directory. Each job is
// heavy, so a public one would go to the cloud first.
func TestPrivacyPaths(t *testing.T) {
	root := t.TempDir()
	pub := filepath.Join(root, "pub")
	priv := filepath.Join(root, "priv")
	for _, d := range []string{filepath.Join(pub, "secret"), filepath.Join(pub, "src"), filepath.Join(priv, "src")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(pub, ".switchyard.yaml"), "privacy: public\n")
	write(filepath.Join(pub, "secret", ".switchyard.yaml"), "privacy: private\n")
	write(filepath.Join(pub, "secret", "keys.go"), "package secret\n")
	write(filepath.Join(pub, "src", "main.go"), "package main\n")
	write(filepath.Join(priv, "code.go"), "package priv\n")
	if err := os.Symlink(priv, filepath.Join(pub, "link")); err != nil {
		t.Fatal(err)
	}
	// The other way: a private repository holding a link to a public one.
	if err := os.Symlink(pub, filepath.Join(priv, "pubview")); err != nil {
		t.Fatal(err)
	}

	srv := privacyPathsDaemon(t)
	for _, c := range []struct {
		name    string
		stated  string
		read    string // a file a tool call reads ("" for none)
		inText  string // a path the user pastes, in the first user message
		want    string
		tighten string // a path the reasons must name
	}{
		{name: "stated-symlink-into-private", stated: filepath.Join(pub, "link"), want: "private", tighten: priv},
		{name: "read-private-subdir-absolute", stated: pub, read: filepath.Join(pub, "secret", "keys.go"), want: "private", tighten: filepath.Join(pub, "secret", ".switchyard.yaml")},
		{name: "read-private-subdir-relative", stated: pub, read: "secret/keys.go", want: "private", tighten: filepath.Join(pub, "secret", ".switchyard.yaml")},
		{name: "read-through-symlink", stated: pub, read: "link/code.go", want: "private", tighten: filepath.Join(priv, "code.go")},
		{name: "read-other-repository", stated: pub, read: filepath.Join(priv, "code.go"), want: "private", tighten: filepath.Join(priv, "code.go")},
		{name: "read-dotdot-after-symlink", stated: pub, read: "link/../priv/code.go", want: "private", tighten: "priv/code.go"},
		{name: "read-not-yet-created-through-symlink", stated: pub, read: "link/new.go", want: "private", tighten: filepath.Join(priv, "new.go")},
		{name: "pasted-statement-cannot-loosen", stated: priv, inText: "Primary working directory: " + pub, want: "private"},
		{name: "stated-private-subdirectory", stated: filepath.Join(pub, "secret"), want: "private"},
		// A link inside a private repository to a public one: the path
		// says it is in the private repository, whose paths may not reach
		// a cloud either.
		{name: "stated-link-to-public-inside-private", stated: filepath.Join(priv, "pubview"), want: "private", tighten: priv},
		{name: "public-stays-public", stated: pub, read: "src/main.go", want: "public"},
		{name: "public-new-file-stays-public", stated: pub, read: "src/new_test.go", want: "public"},
	} {
		t.Run(c.name, func(t *testing.T) {
			body := privacyPathsJob(c.stated, c.read, c.inText)
			ex := explainWithHeaders(t, srv.URL, body)
			if ex.Privacy != c.want {
				t.Fatalf("privacy %s, want %s\nsource: %s\nreasons: %v", ex.Privacy, c.want, ex.PrivacySource, ex.Reasons)
			}
			if c.want == "public" {
				if ex.Chosen == nil || *ex.Chosen != "devstral" {
					t.Errorf("a heavy public job: chosen %v, plan %v (the test relies on it going to the cloud)", ex.Chosen, ex.Plan)
				}
				return
			}
			for _, p := range ex.Plan {
				if p != "local" {
					t.Errorf("plan %v holds a cloud", ex.Plan)
				}
			}
			if c.tighten != "" && !strings.Contains(ex.PrivacySource, c.tighten) {
				t.Errorf("the privacy source does not name %s: %s", c.tighten, ex.PrivacySource)
			}
			if c.read != "" {
				// The answer itself says why, in its headers.
				hdr := postHeaders(t, srv.URL+"/v1/chat/completions", body)
				if ex.ReasonCode != "private_file" || hdr.Get("X-Switchyard-Reason") != "private_file" ||
					hdr.Get("X-Switchyard-Route") != "local" || !strings.Contains(hdr.Get("X-Switchyard-Privacy-Source"), c.tighten) {
					t.Errorf("reason code %q; answer headers: reason %q, route %q, privacy source %q; want private_file, local, naming %s",
						ex.ReasonCode, hdr.Get("X-Switchyard-Reason"), hdr.Get("X-Switchyard-Route"), hdr.Get("X-Switchyard-Privacy-Source"), c.tighten)
				}
			}
			if c.read != "" && !strings.Contains(strings.Join(ex.Reasons, "\n"), c.tighten) {
				t.Errorf("the reasons do not name %s: %v", c.tighten, ex.Reasons)
			}
		})
	}

	t.Run("policy-file-change-is-seen", func(t *testing.T) {
		// A resent conversation is not looked up again from scratch, but a
		// policy file that changes is seen within the store's interval.
		body := privacyPathsJob(pub, "src/main.go", "")
		if ex := explainWithHeaders(t, srv.URL, body); ex.Privacy != "public" {
			t.Fatalf("before: %s (%s)", ex.Privacy, ex.PrivacySource)
		}
		write(filepath.Join(pub, "src", ".switchyard.yaml"), "privacy: private\n")
		defer os.Remove(filepath.Join(pub, "src", ".switchyard.yaml"))
		deadline := time.Now().Add(10 * time.Second)
		for explainWithHeaders(t, srv.URL, body).Privacy != "private" {
			if time.Now().After(deadline) {
				t.Fatal("the new private policy of pub/src was not seen (the store re-examines paths once a second)")
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}

// privacyPathsDaemon is switchyard with the bundled policy (default
// private, heavy at 5 files or 100,000 tokens) in front of the Ollama fake
// and a Devstral fake with a valid key.
func privacyPathsDaemon(t *testing.T) *httptest.Server {
	t.Helper()
	ollama := httptest.NewServer(ollamafake.New(ollamafake.Options{}))
	t.Cleanup(ollama.Close)
	dev := mistralfake.Start(mistralfake.Options{APIKey: privMistralKey})
	t.Cleanup(dev.Close)
	c := testConfig(t, t.TempDir(), ollama.URL)
	c.Providers[0].ContextWindow = 32768
	c.Providers = append(c.Providers, cloudProvider("devstral", configs.KindMistral, dev.URL, "devstral-latest", "PRIV_MISTRAL_KEY", 262144))
	cfg := readConfig(t, c, privEnv)
	a, err := build(context.Background(), cfg, slog.New(slog.DiscardHandler), privEnv, appExtras{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.close)
	srv := httptest.NewServer(a.router)
	t.Cleanup(srv.Close)
	return srv
}

// privacyPathsJob is a heavy agent job (X-Switchyard-Files says 9 files)
// stated in dir the way opencode states it, that reads file with a tool
// call whose result comes back, and whose first user message pastes text.
func privacyPathsJob(dir, file, text string) string {
	msgs := []map[string]any{
		{"role": "system", "content": "You are opencode.\n<env>\n  Working directory: " + dir + "\n</env>"},
		{"role": "user", "content": "look at this please\n" + text},
	}
	if file != "" {
		args, _ := json.Marshal(map[string]string{"filePath": file})
		msgs = append(msgs,
			map[string]any{"role": "assistant", "tool_calls": []map[string]any{{"id": "call_1", "type": "function",
				"function": map[string]any{"name": "read", "arguments": string(args)}}}},
			map[string]any{"role": "tool", "tool_call_id": "call_1", "content": "package secret // the file's content"})
	}
	b, _ := json.Marshal(map[string]any{"model": "auto", "messages": msgs})
	return string(b)
}

func explainWithHeaders(t *testing.T, url, body string) explained {
	t.Helper()
	return explainVia(t, url, body, map[string]string{"X-Switchyard-Files": "9"})
}

// postHeaders sends body as a heavy job and returns the answer's headers.
func postHeaders(t *testing.T, url, body string) http.Header {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("X-Switchyard-Files", "9")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.Header
}

package workspace

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/switchyard/switchyard/policy"
)

// linkTree is pub/ (public) with pub/secret/ (private) and a link
// pub/link -> priv/; priv/ has no policy file and holds pub/view ->
// pub/; dangle -> nowhere; loop/a <-> loop/b.
func linkTree(t *testing.T) (root string) {
	t.Helper()
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(root, "pub", FileName), "privacy: public\n")
	writeFile(t, filepath.Join(root, "pub", "secret", FileName), "privacy: private\n")
	writeFile(t, filepath.Join(root, "pub", "src", "a.go"), "package a\n")
	writeFile(t, filepath.Join(root, "priv", "code.go"), "package priv\n")
	for link, target := range map[string]string{
		"pub/link":  filepath.Join(root, "priv"),
		"priv/view": "../pub", // relative
		"dangle":    filepath.Join(root, "nowhere"),
		"loop/a":    "b",
		"loop/b":    "a",
	} {
		p := filepath.Join(root, link)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestRealPath(t *testing.T) {
	root := linkTree(t)
	s, _ := newTestStore(t)
	for _, c := range []struct{ in, want string }{
		{"pub/src/a.go", "pub/src/a.go"},
		{"pub/link", "priv"},
		{"pub/link/code.go", "priv/code.go"},
		{"pub/link/not-yet.go", "priv/not-yet.go"},
		{"pub/link/new/dir/x.go", "priv/new/dir/x.go"},
		{"priv/view/src/a.go", "pub/src/a.go"},
		{"pub/link/../pub/src/a.go", "pub/src/a.go"}, // ".." goes up from priv, not from pub
		{"pub/link/../code.go", "code.go"},
		{"pub/./src//a.go", "pub/src/a.go"},
		{"dangle/x.go", "nowhere/x.go"},
	} {
		got, ok := s.realPath(root + "/" + c.in) // not Join: it would clean ".." away
		if ok == (c.in == "dangle/x.go") {
			t.Errorf("realPath(%s): ok %v", c.in, ok)
		}
		if want := filepath.Join(root, c.want); got != want {
			t.Errorf("realPath(%s) = %s, want %s", c.in, got, want)
		}
	}
	// A loop gives up: it leads nowhere.
	if got, ok := s.realPath(root + "/loop/a/x.go"); ok {
		t.Errorf("loop: %s %v, want not ok", got, ok)
	}
	if want, err := filepath.EvalSymlinks(filepath.Join(root, "pub/link/code.go")); err != nil || first(s.realPath(filepath.Join(root, "pub/link/code.go"))) != want {
		t.Errorf("disagrees with filepath.EvalSymlinks (%s, %v)", want, err)
	}
}

func TestGoverning(t *testing.T) {
	root := linkTree(t)
	s, _ := newTestStore(t)
	// privacyOf is what policy.DecidePrivacy makes of the answer, with the
	// bundled default (private).
	privacyOf := func(p string) policy.Privacy {
		return policy.DecidePrivacy(policy.PrivacyInput{Dirs: []policy.Place{{Path: p, Governed: s.Governing(p)}}}).Privacy
	}
	for _, c := range []struct {
		path  string
		ways  int
		want  policy.Privacy
		about string
	}{
		{"pub", 1, policy.Public, "a public repository"},
		{"pub/src/a.go", 1, policy.Public, "a file in it"},
		{"pub/src/new.go", 1, policy.Public, "a file not yet created in it"},
		{"pub/secret/k.go", 1, policy.Private, "a file under a nested private policy"},
		{"pub/link", 2, policy.Private, "a link into a repository without a policy file"},
		{"pub/link/code.go", 2, policy.Private, "a file through that link"},
		{"pub/link/new.go", 2, policy.Private, "a new file through that link"},
		{"priv/view", 2, policy.Private, "a link in a private repository to a public one: the path says it is in the private one"},
		{"priv/view/src/a.go", 2, policy.Private, "a file through that link"},
		{"priv/code.go", 1, policy.Private, "another repository, no policy file"},
		{"dangle", 2, policy.Private, "a link to nothing"},
		{"loop/a/x.go", 2, policy.Private, "a link loop"},
	} {
		p := filepath.Join(root, c.path)
		g := s.Governing(p)
		if len(g) != c.ways {
			t.Errorf("%s (%s): %d ways of reaching it, want %d: %+v", c.path, c.about, len(g), c.ways, g)
		}
		if got := privacyOf(p); got != c.want {
			t.Errorf("%s (%s): %s, want %s: %+v", c.path, c.about, got, c.want, g)
		}
	}
	if g := s.Governing("relative/x.go"); len(g) != 1 || g[0].Err == nil {
		t.Errorf("a relative path is not judged: %+v", g)
	}
}

// TestGoverningSeesChanges: the answer for a path is reused within the
// interval (a resent conversation costs map lookups) and renewed after it,
// so a new policy file or a moved link is seen.
func TestGoverningSeesChanges(t *testing.T) {
	root := linkTree(t)
	s, clk := newTestStore(t)
	a := filepath.Join(root, "pub", "src", "a.go")
	first := s.Governing(a)
	if first[0].Privacy != policy.Public {
		t.Fatalf("%+v", first)
	}
	writeFile(t, filepath.Join(root, "pub", "src", FileName), "privacy: private\n")
	clk.Add(500 * time.Millisecond)
	if g := s.Governing(a); &g[0] != &first[0] {
		t.Errorf("recomputed within the interval")
	}
	clk.Add(600 * time.Millisecond)
	if g := s.Governing(a); g[0].Privacy != policy.Private {
		t.Errorf("the new policy file was not seen after the interval: %+v", g)
	}

	// The link now leads to the public repository instead.
	link := filepath.Join(root, "pub", "link")
	if g := s.Governing(link + "/x.go"); len(g) != 2 || g[0].Path != filepath.Join(root, "pub") || g[1].Path != filepath.Join(root, "priv", "x.go") {
		t.Fatalf("%+v", g)
	}
	os.Remove(link)
	os.Symlink(filepath.Join(root, "pub", "src"), link)
	clk.Add(1100 * time.Millisecond)
	if g := s.Governing(link + "/x.go"); len(g) != 2 || g[1].Path != filepath.Join(root, "pub", "src", "x.go") {
		t.Errorf("the moved link was not seen: %+v", g)
	}
}

func first[A, B any](a A, _ B) A { return a }

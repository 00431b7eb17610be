package policy

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestDecidePrivacy(t *testing.T) {
	pub := func(path string, clouds ...string) PolicyFile {
		return PolicyFile{Path: path, File: path + "/.switchyard.yaml", Privacy: Public, Clouds: clouds}
	}
	pubAny := func(path string) PolicyFile {
		return PolicyFile{Path: path, File: path + "/.switchyard.yaml", Privacy: Public}
	}
	priv := func(path string) PolicyFile {
		return PolicyFile{Path: path, File: path + "/.switchyard.yaml", Privacy: Private}
	}
	none := func(path string) PolicyFile { return PolicyFile{Path: path} }
	broken := func(path string) PolicyFile {
		return PolicyFile{Path: path, File: path + "/.switchyard.yaml", Privacy: Public, Err: errors.New("invalid yaml")}
	}
	real := func(f PolicyFile) PolicyFile { f.Via = ViaRealPath; return f }
	place := func(path string, g ...PolicyFile) Place { return Place{Path: path, Governed: g} }

	for _, c := range []struct {
		name    string
		in      PrivacyInput
		want    Privacy
		repo    string
		clouds  []string
		file    bool     // PrivateFile set
		mention []string // in Source
	}{
		{name: "nothing-stated-default-private", in: PrivacyInput{}, want: Private, mention: []string{"no repository stated"}},
		{name: "nothing-stated-default-public", in: PrivacyInput{Default: Public}, want: Public},
		{name: "zero-default-is-private", in: PrivacyInput{Default: "nonsense"}, want: Private},
		{name: "public-repo", in: PrivacyInput{Dirs: []Place{place("/p", pubAny("/p"))}}, want: Public, repo: "/p"},
		{name: "no-policy-file-takes-default", in: PrivacyInput{Default: Public, Dirs: []Place{place("/s", none("/s"))}}, want: Public, repo: "/s"},
		{name: "no-policy-file-default-private", in: PrivacyInput{Dirs: []Place{place("/s", none("/s"))}}, want: Private, mention: []string{"has no .switchyard.yaml"}},
		{name: "unusable-file-is-private", in: PrivacyInput{Default: Public, Dirs: []Place{place("/b", broken("/b"))}}, want: Private, mention: []string{"unusable", "invalid yaml"}},
		{name: "place-without-lookup-takes-default", in: PrivacyInput{Default: Public, Dirs: []Place{{Path: "/x"}}}, want: Public},
		{name: "strictest-dir-wins-and-is-the-repo", in: PrivacyInput{Dirs: []Place{place("/p", pubAny("/p")), place("/q", priv("/q"))}},
			want: Private, repo: "/q", mention: []string{"the most restrictive applies"}},
		{name: "link-into-private", in: PrivacyInput{Dirs: []Place{place("/p/link", pubAny("/p/link"), real(none("/q")))}},
			want: Private, mention: []string{"real path: /q"}},
		{name: "clouds-intersect-across-dirs", in: PrivacyInput{Dirs: []Place{place("/a", pub("/a", "devstral", "gemini")), place("/b", pub("/b", "devstral"))}},
			want: Public, repo: "/a", clouds: []string{"devstral"}},
		{name: "file-in-private-subdir-tightens", in: PrivacyInput{Dirs: []Place{place("/p", pubAny("/p"))}, Files: []Place{place("/p/secret/k.go", priv("/p/secret"))}},
			want: Private, repo: "/p", file: true, mention: []string{"tightened by file", "/p/secret/.switchyard.yaml"}},
		{name: "file-outside-every-repo-takes-default-private", in: PrivacyInput{Dirs: []Place{place("/p", pubAny("/p"))}, Files: []Place{place("/etc/x.conf", none("/etc/x.conf"))}},
			want: Private, file: true},
		{name: "file-outside-every-repo-default-public", in: PrivacyInput{Default: Public, Dirs: []Place{place("/p", pubAny("/p"))}, Files: []Place{place("/etc/x.conf", none("/etc/x.conf"))}},
			want: Public},
		{name: "file-under-broken-policy-tightens", in: PrivacyInput{Default: Public, Dirs: []Place{place("/p", pubAny("/p"))}, Files: []Place{place("/b/x.go", broken("/b"))}},
			want: Private, file: true},
		{name: "file-through-link-tightens", in: PrivacyInput{Dirs: []Place{place("/p", pubAny("/p"))}, Files: []Place{place("/p/link/x.go", pubAny("/p/link/x.go"), real(priv("/q/x.go")))}},
			want: Private, file: true, mention: []string{"real path: /q/x.go"}},
		{name: "public-file-never-loosens", in: PrivacyInput{Dirs: []Place{place("/q", priv("/q"))}, Files: []Place{place("/p/a.go", pubAny("/p"))}},
			want: Private, repo: "/q"},
		{name: "files-alone-never-loosen-the-default", in: PrivacyInput{Files: []Place{place("/p/a.go", pubAny("/p"))}}, want: Private},
		{name: "public-file-narrows-clouds", in: PrivacyInput{Dirs: []Place{place("/p", pubAny("/p"))}, Files: []Place{place("/p/v/a.go", pub("/p/v", "gemini"))}},
			want: Public, repo: "/p", clouds: []string{"gemini"}},
		{name: "header-tightens", in: PrivacyInput{Header: " Private ", Dirs: []Place{place("/p", pubAny("/p"))}}, want: Private, mention: []string{"tightens"}},
		{name: "header-cannot-loosen", in: PrivacyInput{Header: "public", Dirs: []Place{place("/q", priv("/q"))}}, want: Private, mention: []string{"ignored"}},
		{name: "refused-header-is-private", in: PrivacyInput{Default: Public, Refused: "X-Switchyard-Repo src is not an absolute path: private", Dirs: []Place{place("/p", pubAny("/p"))}},
			want: Private, mention: []string{"not an absolute path"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := DecidePrivacy(c.in)
			if r.Privacy != c.want {
				t.Fatalf("privacy %q, want %q (%s)", r.Privacy, c.want, r.Source)
			}
			if c.repo != "" && r.Repo != c.repo {
				t.Errorf("repo %q, want %q", r.Repo, c.repo)
			}
			if c.clouds != nil && !slices.Equal(r.Clouds, c.clouds) {
				t.Errorf("clouds %v, want %v", r.Clouds, c.clouds)
			}
			if (r.PrivateFile != "") != c.file {
				t.Errorf("PrivateFile %q, want set: %v", r.PrivateFile, c.file)
			}
			for _, m := range c.mention {
				if !strings.Contains(r.Source, m) {
					t.Errorf("source %q does not say %q", r.Source, m)
				}
			}
		})
	}
}

// TestDecidePrivacyKeepsInputs: the caller's cached PolicyFiles are shared
// between requests; combining must not change them.
func TestDecidePrivacyKeepsInputs(t *testing.T) {
	a := []PolicyFile{{Path: "/a", File: "/a/.switchyard.yaml", Privacy: Public, Clouds: []string{"devstral", "gemini"}}}
	b := []PolicyFile{{Path: "/b", File: "/b/.switchyard.yaml", Privacy: Public, Clouds: []string{"gemini"}}}
	r := DecidePrivacy(PrivacyInput{Dirs: []Place{{Path: "/a", Governed: a}}, Files: []Place{{Path: "/b/x", Governed: b}}})
	if !slices.Equal(r.Clouds, []string{"gemini"}) || !slices.Equal(a[0].Clouds, []string{"devstral", "gemini"}) {
		t.Errorf("result clouds %v; input now %v", r.Clouds, a[0].Clouds)
	}
}

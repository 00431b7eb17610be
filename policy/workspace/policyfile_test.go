package workspace

import (
	"slices"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/policy"
)

func TestParsePolicy(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		privacy policy.Privacy
		clouds  []string
		errHas  string
	}{
		{"private", "privacy: private\n", policy.Private, nil, ""},
		{"public-any-cloud", "privacy: public\n", policy.Public, nil, ""},
		{"public-some-clouds", "privacy: public\nclouds: [devstral, gemini]\n", policy.Public, []string{"devstral", "gemini"}, ""},
		{"public-no-cloud", "privacy: public\nclouds: []\n", policy.Public, []string{}, ""},
		{"block-list-and-comment", "# repo policy\nprivacy: public   # ok\nclouds:\n  - devstral\n", policy.Public, []string{"devstral"}, ""},
		{"unknown-key", "privacy: public\nprivate: true\n", policy.Private, nil, `unknown key "private"`},
		{"missing-privacy", "clouds: [devstral]\n", policy.Private, nil, "missing `privacy`"},
		{"null-privacy", "privacy: ~\n", policy.Private, nil, "missing `privacy`"},
		{"bad-privacy", "privacy: Public\n", policy.Private, nil, `not "Public"`},
		{"privacy-list", "privacy: [public]\n", policy.Private, nil, "cannot unmarshal"},
		{"clouds-scalar", "privacy: public\nclouds: devstral\n", policy.Private, nil, "cannot unmarshal"},
		{"clouds-null-item", "privacy: public\nclouds: [~]\n", policy.Private, nil, "clouds[0] is empty"},
		{"clouds-duplicate", "privacy: public\nclouds: [a, a]\n", policy.Private, nil, `"a" twice`},
		{"duplicate-key", "privacy: public\nprivacy: private\n", policy.Private, nil, "already defined"},
		{"empty", "", policy.Private, nil, "empty"},
		{"only-comment", "# nothing\n", policy.Private, nil, "empty"},
		{"not-a-mapping", "public\n", policy.Private, nil, "must be a mapping"},
		{"two-documents", "privacy: public\n---\nprivacy: private\n", policy.Private, nil, "more than one YAML document"},
		{"tabs", "privacy:\tpublic\n\tclouds: []\n", policy.Private, nil, "yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParsePolicy([]byte(tt.in))
			if tt.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("err = %v, want one containing %q", err, tt.errHas)
				}
				if p.Privacy != policy.Private || p.Err == nil {
					t.Fatalf("invalid file must give Private with Err, got %+v", p)
				}
				if strings.Contains(err.Error(), "policyDoc") {
					t.Fatalf("error names a Go type: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Privacy != tt.privacy || !slices.Equal(p.Clouds, tt.clouds) || (p.Clouds == nil) != (tt.clouds == nil) {
				t.Fatalf("got %+v, want privacy %s clouds %#v", p, tt.privacy, tt.clouds)
			}
		})
	}
}

func FuzzParsePolicy(f *testing.F) {
	for _, s := range []string{"privacy: private\n", "privacy: public\nclouds: [a, b]\n", "clouds: []\n", "- x\n", "a: &x [*x]\n", "privacy: !!binary aGk=\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePolicy(data)
		if err != nil {
			if p.Privacy != policy.Private || p.Err == nil {
				t.Fatalf("error %v but policy %+v", err, p)
			}
			return
		}
		if p.Privacy != policy.Private && p.Privacy != policy.Public {
			t.Fatalf("privacy %q", p.Privacy)
		}
		for _, c := range p.Clouds {
			if c == "" {
				t.Fatal("empty cloud name accepted")
			}
		}
	})
}

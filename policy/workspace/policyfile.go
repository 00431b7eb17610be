package workspace

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/switchyard/switchyard/policy"
)

// FileName is the per-repository policy file (CONTRACT.md, "Per-repository
// policy file").
const FileName = ".switchyard.yaml"

// maxPolicyFileSize bounds what Lookup reads: a real policy file is two
// lines, and a huge one is a mistake we report rather than load.
const maxPolicyFileSize = 64 << 10

// Policy is what a repository's policy file says, as Store.Lookup found it.
type Policy struct {
	// Privacy is what the file says; Private when the file could not be
	// used (Err != nil); empty when no file was found (File == ""), in
	// which case the caller applies its default. policy.Stricter treats
	// the empty value as Private, so it can never loosen anything.
	Privacy policy.Privacy
	// Clouds are the only cloud providers the repository allows; nil means
	// any, an empty non-nil slice means none.
	Clouds []string
	// File is the .switchyard.yaml that decided, "" if none was found.
	File string
	// Err says why File could not be used (unreadable, invalid); then
	// Privacy is Private (fail closed).
	Err error
	// DirErr is set when the directory looked up from does not exist or is
	// not a directory: no file was searched for, the caller applies its
	// default and should report this.
	DirErr error
}

// Found reports whether a policy file decided (validly or not).
func (p Policy) Found() bool { return p.File != "" }

// policyDoc is the file's schema. Unknown keys are errors.
type policyDoc struct {
	Privacy *string    `yaml:"privacy"`
	Clouds  *[]*string `yaml:"clouds"`
}

// ParsePolicy reads a policy file's content strictly: `privacy` is required
// and must be "private" or "public"; `clouds`, if present, is a list of
// distinct non-empty provider names; any other key, a second YAML
// document, or anything that is not a mapping is an error. The returned
// Policy has no File; on error it is Private with Err set.
func ParsePolicy(data []byte) (Policy, error) {
	p, err := parsePolicy(data)
	if err != nil {
		return Policy{Privacy: policy.Private, Err: err}, err
	}
	return p, nil
}

func parsePolicy(data []byte) (Policy, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var doc policyDoc
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return Policy{}, errors.New("policy file is empty: it must at least say `privacy: private` or `privacy: public`")
		}
		return Policy{}, fmt.Errorf("policy file: %w", yamlError(err))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return Policy{}, errors.New("policy file: holds more than one YAML document")
	}
	if doc.Privacy == nil {
		return Policy{}, errors.New("policy file: missing `privacy` (private or public)")
	}
	priv, err := policy.ParsePrivacy(*doc.Privacy)
	if err != nil {
		return Policy{}, fmt.Errorf("policy file: %w", err)
	}
	p := Policy{Privacy: priv}
	if doc.Clouds != nil {
		p.Clouds = make([]string, 0, len(*doc.Clouds))
		seen := make(map[string]bool, len(*doc.Clouds))
		for i, np := range *doc.Clouds {
			var name string
			if np != nil {
				name = *np
			}
			switch {
			case name == "":
				return Policy{}, fmt.Errorf("policy file: clouds[%d] is empty", i)
			case seen[name]:
				return Policy{}, fmt.Errorf("policy file: clouds lists %q twice", name)
			}
			seen[name] = true
			p.Clouds = append(p.Clouds, name)
		}
	}
	return p, nil
}

// yamlError rewrites the decoder's messages in the file's terms: the
// decoder names our Go type ("field x not found in type
// workspace.policyDoc"), which means nothing to whoever edits the file.
func yamlError(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err
	}
	msgs := make([]string, len(te.Errors))
	for i, m := range te.Errors {
		m = strings.Replace(m, " in type workspace.policyDoc", "", 1)
		if a, b, ok := strings.Cut(m, "field "); ok && strings.HasSuffix(b, " not found") {
			m = a + "unknown key " + strconv.Quote(strings.TrimSuffix(b, " not found")) + " (known keys: privacy, clouds)"
		}
		m = strings.Replace(m, "into workspace.policyDoc", "into the policy (it must be a mapping)", 1)
		msgs[i] = m
	}
	return errors.New(strings.Join(msgs, "; "))
}

package secrets

import (
	"slices"
)

// MaxFindings bounds how many findings Scan and ScanRequest return. One is
// enough to keep a job local; the rest only make the audit line clearer.
const MaxFindings = 16

// The kinds of credential a Finding may name.
const (
	KindPrivateKey        = "private-key"
	KindGCPServiceAccount = "gcp-service-account"
	KindAWSAccessKey      = "aws-access-key"
	KindAWSSecretKey      = "aws-secret-key"
	KindGoogleAPIKey      = "google-api-key"
	KindGitHubToken       = "github-token"
	KindGitLabToken       = "gitlab-token"
	KindSlackToken        = "slack-token"
	KindSlackWebhook      = "slack-webhook"
	KindStripeKey         = "stripe-key"
	KindOpenAIKey         = "openai-api-key"
	KindAnthropicKey      = "anthropic-api-key"
	KindJWT               = "jwt"
	// KindAssignment is a high-entropy literal assigned to a name such as
	// password, secret, api_key or token, or sent as an Authorization header.
	KindAssignment = "secret-assignment"
	// KindURLPassword is the password part of user:password@host in a URL.
	KindURLPassword = "url-password"
)

// Finding is one credential found in a text. It never holds the credential
// itself, so it may be logged.
type Finding struct {
	// Kind is one of the Kind constants.
	Kind string
	// Offset and Length are the byte range of the credential in the text
	// that was scanned (for ScanRequest, the text named by Where).
	Offset int
	Length int
	// Where is set by ScanRequest to the field that held the text, in
	// OpenAI chat-completions terms, e.g. "messages[3].content[0]" or
	// "messages[2].tool_calls[0].arguments". Scan leaves it empty.
	Where string
}

// generic reports whether a kind comes from a label rather than a vendor's
// shape; where two findings overlap, the vendor's kind is the better name.
func generic(kind string) bool {
	return kind == KindAssignment || kind == KindURLPassword
}

// Scan returns the credentials in text, in order of offset, without
// overlaps, at most MaxFindings of them. It never panics, whatever the
// input, and its cost is linear in len(text).
func Scan(text string) []Finding {
	sc := scanner{text: text, limit: MaxFindings}
	for _, d := range detectors {
		sc.count = 0
		d(&sc)
	}
	return tidy(sc.found)
}

// Contains reports whether text holds any credential Scan would report. It
// stops at the first one.
func Contains(text string) bool {
	sc := scanner{text: text, limit: 1, first: true}
	for _, d := range detectors {
		d(&sc)
		if len(sc.found) > 0 {
			return true
		}
	}
	return false
}

// detectors run in turn over the whole text; each stops once it has found
// limit credentials, so a hostile text cannot make a scan collect without
// bound.
var detectors = []func(*scanner){
	detectPEM,
	detectTokens,
	detectJWT,
	detectAssignments,
	detectURLPasswords,
}

// scanner is the state one Scan or Contains call shares between detectors.
type scanner struct {
	text  string
	limit int  // findings per detector
	first bool // Contains: stop at the first finding
	count int  // findings by the current detector
	found []Finding
}

// add records a finding and reports whether the detector may go on.
func (sc *scanner) add(kind string, start, end int) bool {
	sc.found = append(sc.found, Finding{Kind: kind, Offset: start, Length: end - start})
	sc.count++
	return sc.count < sc.limit
}

// tidy orders findings by offset, resolves overlaps in favour of the vendor
// kind (then the earlier, then the longer finding) and applies MaxFindings.
func tidy(fs []Finding) []Finding {
	if len(fs) == 0 {
		return nil
	}
	slices.SortStableFunc(fs, func(a, b Finding) int {
		if a.Offset != b.Offset {
			return a.Offset - b.Offset
		}
		return b.Length - a.Length
	})
	out := fs[:0]
	for _, f := range fs {
		if n := len(out); n > 0 && f.Offset < out[n-1].Offset+out[n-1].Length {
			if generic(out[n-1].Kind) && !generic(f.Kind) {
				out[n-1] = f
			}
			continue
		}
		out = append(out, f)
	}
	if len(out) > MaxFindings {
		out = out[:MaxFindings]
	}
	return slices.Clip(out)
}

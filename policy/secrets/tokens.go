package secrets

import (
	"slices"
	"strings"
)

// tokenRule recognises one vendor's prefixed token. match is called with
// text[i:] starting with prefix and returns where the token ends, or -1.
type tokenRule struct {
	prefix string
	kind   string
	match  func(text string, i int) int
}

// anchorOf picks the byte of a prefix to search for. Rules sharing an
// anchor byte are checked in one strings.IndexByte pass (vectorised), so
// the text is read a handful of times, not once per prefix; and a rare
// anchor means few hits to check. Prefixes ending in '_' or '-' anchor
// there; the A… prefixes (AKIA, ASIA, AIza, AQ.Ab) on their 'A', since
// upper case is rare in most code; the webhook host on its first 'k'.
func anchorOf(prefix string) int {
	switch last := len(prefix) - 1; {
	case prefix[last] == '_' || prefix[last] == '-':
		return last
	case prefix[0] == 'A':
		return 0
	default:
		return strings.IndexByte(prefix, 'k')
	}
}

// tokenRules are the prefixed token formats, each with the source of its
// shape. Every check after an anchor hit reads a bounded window.
var tokenRules = []tokenRule{
	// AWS access key ids: "AKIA" (long-term) or "ASIA" (STS temporary)
	// followed by 16 upper-case letters and digits, 20 characters in all.
	// Source: AWS STS API reference, GetAccessKeyInfo ("Access key IDs
	// beginning with AKIA are long-term credentials … ASIA are temporary
	// credentials"), and the IAM unique-ID prefix table.
	{"AKIA", KindAWSAccessKey, fixedBody(4, 16, cUpperDigit, cAlnum)},
	{"ASIA", KindAWSAccessKey, fixedBody(4, 16, cUpperDigit, cAlnum)},

	// Google API keys (Gemini's "standard" keys among them): "AIza" and 35
	// characters of [A-Za-z0-9_-], 39 in all. Source: Microsoft Purview
	// sensitive-information-type definition "Google API key", which follows
	// Google's format.
	{"AIza", KindGoogleAPIKey, fixedBody(4, 35, cB64URL, cB64URL)},
	// Gemini "auth keys", which AI Studio issues since 2026 in place of AIza
	// keys, begin "AQ.Ab" (discuss.ai.google.dev thread 170415, "Account only
	// generates AQ. prefix API keys"). Google publishes no length, so take a
	// long random base64url body.
	{"AQ.Ab", KindGoogleAPIKey, minBody(5, 30, cB64URL, cB64URL)},

	// GitHub: ghp_ (personal), gho_ (OAuth), ghu_ (user-to-server), ghs_
	// (server-to-server), ghr_ (refresh) followed by [A-Za-z0-9]; 36 today,
	// "up to 255" announced. Fine-grained PATs: github_pat_ followed by 22
	// and 59 characters joined by '_'. Source: GitHub changelog 2021-03-31
	// "Authentication token format updates are generally available".
	{"ghp_", KindGitHubToken, minBody(4, 36, cAlnum, cB64URL)},
	{"gho_", KindGitHubToken, minBody(4, 36, cAlnum, cB64URL)},
	{"ghu_", KindGitHubToken, minBody(4, 36, cAlnum, cB64URL)},
	{"ghs_", KindGitHubToken, minBody(4, 36, cAlnum, cB64URL)},
	{"ghr_", KindGitHubToken, minBody(4, 36, cAlnum, cB64URL)},
	{"github_pat_", KindGitHubToken, minBody(11, 70, cAlnum|cDashUnder, cB64URL)},

	// GitLab: glpat- and 20 characters of [A-Za-z0-9_-] (legacy), or a longer
	// body with '.'-separated routing parts (GitLab 17.x). The other prefixes
	// are GitLab's documented token types (deploy, runner, CI job, pipeline
	// trigger, feed, OAuth application secret). Sources: gitlab-org/gitlab
	// issue 342327 (glpat- default prefix), docs.gitlab.com "Token prefixes".
	{"glpat-", KindGitLabToken, gitlabBody(6)},
	{"gldt-", KindGitLabToken, gitlabBody(5)},
	{"glrt-", KindGitLabToken, gitlabBody(5)},
	{"glcbt-", KindGitLabToken, gitlabBody(6)},
	{"glptt-", KindGitLabToken, gitlabBody(6)},
	{"glft-", KindGitLabToken, gitlabBody(5)},
	{"gloas-", KindGitLabToken, gitlabBody(6)},

	// Slack: xoxb- (bot), xoxp- (user), xoxa- (app), xoxr- (refresh), xoxe-
	// (rotating), xoxs- (session), xapp- (app-level): digit groups and a
	// random tail joined by '-', e.g. xoxb-<team>-<bot>-<24 alnum>. Source:
	// Slack "Token types" (api.slack.com/authentication/token-types).
	{"xoxb-", KindSlackToken, slackBody},
	{"xoxp-", KindSlackToken, slackBody},
	{"xoxa-", KindSlackToken, slackBody},
	{"xoxr-", KindSlackToken, slackBody},
	{"xoxe-", KindSlackToken, slackBody},
	{"xoxs-", KindSlackToken, slackBody},
	{"xapp-", KindSlackToken, slackBody},
	// Incoming webhooks: https://hooks.slack.com/services/T…/B…/<24 alnum>.
	// Source: Slack "Sending messages using incoming webhooks".
	{"hooks.slack.com/services/", KindSlackWebhook, slackWebhook},

	// Stripe live secret and restricted keys. Test-mode keys (sk_test_,
	// rk_test_) reach only simulated data and publishable keys (pk_) are
	// meant for browsers, so neither is a credential worth keeping local.
	// Source: docs.stripe.com/keys ("Test mode versus live mode").
	{"sk_live_", KindStripeKey, minBody(8, 20, cAlnum, cB64URL)},
	{"rk_live_", KindStripeKey, minBody(8, 20, cAlnum, cB64URL)},

	// OpenAI (sk-, sk-proj-, sk-svcacct-, sk-admin-) and Anthropic (sk-ant-
	// api03-… , 108 characters) keys; OpenAI-compatible vendors (DeepSeek,
	// OpenRouter's sk-or-v1-) share the shape and are reported as OpenAI.
	// Sources: OpenAI API reference "Authentication"; GitGuardian detector
	// "OpenAI Project API Key"; GitLab issue 481547 (sk-ant-api prefix).
	{"sk-", "", skDash},
}

// fixedBody matches prefix then exactly n bytes of class body, not
// preceded or followed by a byte of class word.
func fixedBody(prefixLen, n int, body, word uint8) func(string, int) int {
	return func(s string, i int) int {
		if !startsToken(s, i, word) {
			return -1
		}
		j := i + prefixLen
		if run(s, j, body, n+1) != n || !endsToken(s, j+n, word) {
			return -1
		}
		if !randomish(s[j : j+n]) {
			return -1
		}
		return j + n
	}
}

// maxTokenLen bounds every vendor token; GitHub's announced ceiling.
const maxTokenLen = 255

// minBody matches prefix then at least n bytes of class body.
func minBody(prefixLen, n int, body, word uint8) func(string, int) int {
	return func(s string, i int) int {
		if !startsToken(s, i, word) {
			return -1
		}
		j := i + prefixLen
		k := run(s, j, body, maxTokenLen)
		if k < n || !randomish(s[j:j+k]) {
			return -1
		}
		return j + k
	}
}

// gitlabBody matches a GitLab token body: [A-Za-z0-9_.-], at least 20.
func gitlabBody(prefixLen int) func(string, int) int {
	return func(s string, i int) int {
		if !startsToken(s, i, cAlnum) {
			return -1
		}
		j := i + prefixLen
		k := 0
		for j+k < len(s) && k < maxTokenLen && (is(s[j+k], cB64URL) || s[j+k] == '.') {
			k++
		}
		for k > 0 && s[j+k-1] == '.' { // sentence punctuation
			k--
		}
		if k < 20 || !randomish(s[j:j+k]) {
			return -1
		}
		return j + k
	}
}

// slackBody matches the part after "xoxb-" and its kin: '-'-joined groups
// of alphanumerics, the first of them digits, 20 bytes or more in all.
func slackBody(s string, i int) int {
	if !startsToken(s, i, cB64URL) {
		return -1
	}
	j := i + 5
	k := run(s, j, cAlnum|cDashUnder, maxTokenLen)
	body := strings.TrimRight(s[j:j+k], "-_")
	if len(body) < 20 || run(body, 0, cDigit, len(body)) == 0 || strings.IndexByte(body, '-') < 0 {
		return -1
	}
	if !randomish(body) {
		return -1
	}
	return j + len(body)
}

// slackWebhook matches T<team>/B<channel>/<secret> after the services path.
func slackWebhook(s string, i int) int {
	j := i + len("hooks.slack.com/services/")
	for _, lead := range []byte{'T', 'B'} {
		if j >= len(s) || s[j] != lead {
			return -1
		}
		n := run(s, j, cUpperDigit|cDashUnder, 32)
		if n < 7 || j+n >= len(s) || s[j+n] != '/' {
			return -1
		}
		j += n + 1
	}
	n := run(s, j, cAlnum, 64)
	if n < 20 || !randomish(s[j:j+n]) {
		return -1
	}
	return j + n
}

// skDash matches OpenAI- and Anthropic-style "sk-" keys. The kind depends
// on the sub-prefix, so the rule reports it through skKind.
func skDash(s string, i int) int {
	if !startsToken(s, i, cB64URL) {
		return -1
	}
	j := i + 3
	k := run(s, j, cB64URL, maxTokenLen)
	body := s[j : j+k]
	min := 32
	if strings.HasPrefix(body, "ant-") {
		min = 80
	}
	if k < min {
		return -1
	}
	// The random part must be there: a long alphanumeric stretch with
	// letters and digits, not a hyphenated CSS class or a slug. The
	// vendor's own kind (proj-, svcacct-, …) is not part of it: counted as
	// a word, it made a project key whose random part holds no - or _
	// read as a run of words.
	if !hasRandomStretch(body, 20) || !randomish(trimKeyKind(body)) {
		return -1
	}
	return j + k
}

// skKinds are the kinds of key the vendors put after sk-. Sources: OpenAI
// API reference "Authentication" (project, service account and admin
// keys); Anthropic's sk-ant-api03- and sk-ant-admin01-; OpenRouter's
// sk-or-v1-.
var skKinds = []string{"proj-", "svcacct-", "admin-", "ant-api03-", "ant-admin01-", "or-v1-"}

// trimKeyKind returns body without the kind of key it starts with.
func trimKeyKind(body string) string {
	for _, k := range skKinds {
		if rest, ok := strings.CutPrefix(body, k); ok {
			return rest
		}
	}
	return body
}

// skKind names the vendor of a key matched by skDash.
func skKind(token string) string {
	if strings.HasPrefix(token, "sk-ant-") {
		return KindAnthropicKey
	}
	return KindOpenAIKey
}

// hasRandomStretch reports whether s has n or more alphanumerics in a row
// that mix letters and digits.
func hasRandomStretch(s string, n int) bool {
	for i := 0; i < len(s); {
		k := run(s, i, cAlnum, len(s))
		if k >= n {
			stretch := s[i : i+k]
			if run(stretch, 0, cDigit, k) < k && strings.IndexAny(stretch, "0123456789") >= 0 {
				return true
			}
		}
		i += k + 1
	}
	return false
}

// tokenGroups holds the rules by anchor byte, in a fixed order.
var tokenGroups = func() (groups []tokenGroup) {
	for _, rule := range tokenRules {
		r := anchoredRule{rule, anchorOf(rule.prefix)}
		if r.anchor < 0 {
			panic("secrets: no anchor byte in prefix " + r.prefix)
		}
		b := r.prefix[r.anchor]
		i := slices.IndexFunc(groups, func(g tokenGroup) bool { return g.anchor == b })
		if i < 0 {
			groups = append(groups, tokenGroup{anchor: b})
			i = len(groups) - 1
		}
		groups[i].rules = append(groups[i].rules, r)
		if r.anchor > 0 {
			groups[i].before[r.prefix[r.anchor-1]] = true
		} else {
			groups[i].anyBefore = true
		}
	}
	return groups
}()

type tokenGroup struct {
	anchor byte
	rules  []anchoredRule
	// before holds the bytes that precede the anchor in some prefix, so
	// most hits ('-' in "kebab-case", '_' in snake_case) are dismissed
	// with one lookup; anyBefore is set when a prefix starts at its anchor.
	before    [256]bool
	anyBefore bool
}

// anchoredRule is a rule with the index in its prefix of the anchor byte.
type anchoredRule struct {
	tokenRule
	anchor int
}

// detectTokens runs every prefixed rule over the text, one pass per
// anchor byte.
func detectTokens(sc *scanner) {
	for i := range tokenGroups {
		sc.count = 0
		scanGroup(sc, &tokenGroups[i])
		if sc.first && len(sc.found) > 0 {
			return
		}
	}
}

// scanGroup finds the group's anchor byte throughout the text and tries
// each rule whose prefix has it there, up to the scanner's limit.
func scanGroup(sc *scanner, g *tokenGroup) {
	s := sc.text
	for from := 0; from < len(s); {
		k := strings.IndexByte(s[from:], g.anchor)
		if k < 0 {
			return
		}
		p := from + k
		from = p + 1
		if !g.anyBefore && (p == 0 || !g.before[s[p-1]]) {
			continue
		}
		for _, r := range g.rules {
			i := p - r.anchor
			if i < 0 || s[i] != r.prefix[0] || !strings.HasPrefix(s[i:], r.prefix) {
				continue
			}
			end := r.match(s, i)
			if end < 0 {
				continue
			}
			kind := r.kind
			if kind == "" {
				kind = skKind(s[i:end])
			}
			if !sc.add(kind, i, end) {
				return
			}
			from = end
			break
		}
	}
}

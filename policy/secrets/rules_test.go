package secrets

import (
	"strings"
	"testing"
)

// TestScanRules checks each rule in the syntaxes it must see through. The
// credential is the part between « and »; the finding must cover exactly it.
func TestScanRules(t *testing.T) {
	f := newFaker(3)
	pw := f.fake("password")
	hex := f.fake("hex40")
	cases := []struct {
		name, kind, text string
	}{
		{"aws-id-bare", KindAWSAccessKey, "«" + f.fake("aws-id") + "»"},
		{"aws-id-in-json", KindAWSAccessKey, `{"AccessKeyId": "«` + f.fake("aws-id-sts") + `»", "Expiration": "2026-01-01T00:00:00Z"}`},
		{"aws-id-documented-example", KindAWSAccessKey, "aws_access_key_id = «" + f.fake("aws-id-example") + "»"},
		{"aws-secret-ini", KindAWSSecretKey, "[default]\naws_secret_access_key = «" + f.fake("aws-secret") + "»\n"},
		{"aws-secret-json-sts", KindAWSSecretKey, `"SecretAccessKey": "«` + f.fake("aws-secret") + `»",`},
		{"google-key-in-url", KindGoogleAPIKey, "https://maps.googleapis.com/maps/api/geocode/json?address=x&key=«" + f.fake("google") + "»"},
		{"github-in-remote", KindGitHubToken, "https://«" + f.fake("ghp") + "»@github.com/acme/x.git"},
		{"github-fine-grained", KindGitHubToken, "export GH_TOKEN=«" + f.fake("github-pat") + "»"},
		{"github-wins-over-label", KindGitHubToken, "token=«" + f.fake("ghp") + "»"},
		{"gitlab-routable", KindGitLabToken, "«gl" + "pat-" + f.chars(b64url, 27) + ".01." + f.chars(alnum, 9) + "»."},
		{"slack-bot-yaml", KindSlackToken, "slack:\n  token: «" + f.fake("slack-bot") + "»\n"},
		{"slack-webhook-json", KindSlackWebhook, `{"url": "https://«` + f.fake("slack-webhook") + `»"}`},
		{"stripe-live-go", KindStripeKey, `stripe.Key = "«` + f.fake("stripe") + `»"`},
		{"openai-legacy-env", KindOpenAIKey, "OPENAI_API_KEY=«" + f.fake("openai-legacy") + "»"},
		{"openai-proj-python", KindOpenAIKey, `client = OpenAI(api_key="«` + f.fake("openai-proj") + `»")`},
		// A random part that happens to hold no - or _ (as the privacy
		// proof's seed 1796634820010648206 planted): proj is not a word.
		{"openai-proj-alnum", KindOpenAIKey, "OPENAI_API_KEY=«sk-" + "proj-" + f.chars(alnum, 52) + "»"},
		// A random password that happens to hold a keyboard run (the
		// privacy proof's seed 1796655893682041777 planted this one).
		{"url-password-holding-asdf", KindURLPassword, "DATABASE_URL=postgres://app:«w65gBHZ6S6B2W9F8S4ASDFpq»@db.internal.example:5432/app"},
		{"assignment-holding-12345", KindAssignment, `DB_PASSWORD="«Xq7vR2mK12345bT9wLzP»"`},
		// Short placeholder words turn up by chance too, in any case.
		{"assignment-holding-none", KindAssignment, `DB_PASSWORD="«k8XnoNe7Rq2vLw9TbZ4m»"`},
		{"url-password-holding-test", KindURLPassword, "REDIS_URL=redis://:«Pz4TeSt9qW2xK7mR3vLb»@cache.internal:6379/0"},
		{"assignment-holding-your", KindAssignment, `api_secret: "«7hYoUr2KqX9mZ4vB8wLp»"`},
		{"openai-svcacct-alnum", KindOpenAIKey, "«sk-" + "svcacct-" + f.chars(alnum, 48) + "»"},
		{"anthropic-ts", KindAnthropicKey, `const anthropic = new Anthropic({ apiKey: '«` + f.fake("anthropic") + `»' });`},
		{"jwt-cookie", KindJWT, "Cookie: session=«" + f.fake("jwt") + "»; Path=/"},
		{"jwt-bearer", KindJWT, "Authorization: Bearer «" + f.fake("jwt") + "»"},
		{"pem-rsa", KindPrivateKey, "«" + f.fake("pem-rsa") + "»\n"},
		{"pem-json-escaped", KindPrivateKey, `{"content": "«` + pemWrap("RSA PRIVATE KEY", f.pemBody("MIIEowIBAAKCAQEA", 4, `\n`), `\n`) + `»\n"}`},
		{"pem-cut-off", KindPrivateKey, "here is the key:\n«-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEI" + f.chars(b64std, 55) + "»\n"},
		{"pem-crlf", KindPrivateKey, "«" + strings.ReplaceAll(f.fake("pem-openssh"), "\n", "\r\n") + "»\r\n"},
		{"gcp-escaped-twice", KindGCPServiceAccount, `{\"private_key\": \"«` + pemWrap("PRIVATE KEY", f.pemBody("MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", 4, `\n`), `\n`) + `»\n\"}`},
		{"password-env", KindAssignment, "DB_PASSWORD=«" + pw + "»\n"},
		{"password-env-quoted", KindAssignment, `export PGPASSWORD="«` + pw + `»"`},
		{"password-pass-word", KindAssignment, "SMTP_PASS=«" + pw + "»"},
		{"password-yaml-single-quoted", KindAssignment, "  password: '«" + pw + "»'"},
		{"password-go-walrus", KindAssignment, `dbPassword := "«` + pw + `»"`},
		{"password-go-struct", KindAssignment, `Password: "«` + pw + `»",`},
		{"password-php-arrow", KindAssignment, `'password' => '«` + pw + `»',`},
		{"password-python-bytes", KindAssignment, `SECRET = b"«` + pw + `»"`},
		{"password-ts-optional", KindAssignment, `password?: "«` + pw + `»"`},
		{"password-json-in-json", KindAssignment, `"{\"password\": \"«` + pw + `»\"}"`},
		{"password-toml", KindAssignment, "[db]\npassword = \"«" + pw + "»\"\n"},
		{"password-cli-flag", KindAssignment, "mysql --user=root --password=«" + pw + "» orders"},
		{"secret-camel-case", KindAssignment, `clientSecret: "«` + hex + `»"`},
		{"api-key-query", KindAssignment, "GET /v1/search?q=go&api_key=«" + hex + "»&page=2"},
		{"authorization-basic", KindAssignment, `-H "Authorization: Basic «` + "dXNlcjpTM2NyM3QtUGE1NXcwcmQh" + `»"`},
		{"authorization-quoted-json", KindAssignment, `{"Authorization": "Token «` + hex + `»"}`},
		{"url-password-mongodb", KindURLPassword, "mongodb+srv://orders:«" + f.fake("url-password") + "»@cluster0.example.net/orders"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := strings.Index(tc.text, "«")
			end := strings.Index(tc.text, "»") - len("«")
			text := strings.NewReplacer("«", "", "»", "").Replace(tc.text)
			got := Scan(text)
			if len(got) != 1 || got[0].Kind != tc.kind || got[0].Offset != start || got[0].Offset+got[0].Length != end {
				t.Errorf("got %s, want %s@[%d,%d)", describe(text, got), tc.kind, start, end)
			}
			if !Contains(text) {
				t.Error("Contains = false")
			}
		})
	}
}

// TestScanBounded: a text full of credentials yields MaxFindings findings,
// the first ones by offset, in order and without overlaps.
func TestScanBounded(t *testing.T) {
	f := newFaker(9)
	var b strings.Builder
	var firsts []int
	for i := range 200 {
		// Mix the kinds so that no single detector's limit decides.
		var v string
		switch i % 4 {
		case 0:
			v = f.fake("jwt")
		case 1:
			v = f.fake("ghp")
		case 2:
			v = f.fake("pem-ec")
		case 3:
			v = f.fake("aws-id")
		}
		b.WriteString("line ")
		if len(firsts) < MaxFindings {
			firsts = append(firsts, b.Len())
		}
		b.WriteString(v)
		b.WriteString("\n")
	}
	got := Scan(b.String())
	if len(got) != MaxFindings {
		t.Fatalf("got %d findings, want %d", len(got), MaxFindings)
	}
	for i, g := range got {
		if g.Offset != firsts[i] {
			t.Errorf("finding %d at %d, want %d", i, g.Offset, firsts[i])
		}
	}
}

func TestScanEmptyAndTiny(t *testing.T) {
	for _, s := range []string{"", "=", ":", "-----BEGIN ", "eyJ", "sk-", "://", "a=\"", "password=", "\\", "AKIA"} {
		if fs := Scan(s); fs != nil {
			t.Errorf("Scan(%q) = %v", s, fs)
		}
		if Contains(s) {
			t.Errorf("Contains(%q) = true", s)
		}
	}
}

func TestEntropy(t *testing.T) {
	cases := []struct {
		s    string
		want float64
	}{
		{"", 0},
		{"aaaa", 0},
		{"ab", 1},
		{"abcd", 2},
		{"aabb", 1},
		{"0123456789abcdef", 4},
	}
	for _, tc := range cases {
		if got := entropy(tc.s); got != tc.want {
			t.Errorf("entropy(%q) = %v, want %v", tc.s, got, tc.want)
		}
	}
}

package secrets

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestScanCleanSamples: ordinary files a coding agent sends (Go, Python, C
// headers, Rust, Java, TypeScript, SQL, YAML, JSON, shell, Markdown with
// base64 images, licences, a go.sum full of hashes) hold no credential.
// They are copies of /work/shared/tokens/samples, renamed *.txt so that
// gofmt and other tools leave the truncated sources alone.
func TestScanCleanSamples(t *testing.T) {
	files, err := filepath.Glob("../tokenize/testdata/samples/*.txt")
	if err != nil || len(files) < 30 {
		t.Fatalf("want the 31 clean samples, got %d (%v)", len(files), err)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		if fs := Scan(text); len(fs) > 0 {
			t.Errorf("%s: false alarm %s", filepath.Base(file), describeContext(text, fs))
		}
		if Contains(text) {
			t.Errorf("%s: Contains = true", filepath.Base(file))
		}
	}
}

func describeContext(text string, fs []Finding) string {
	var parts []string
	for _, f := range fs {
		lo, hi := max(0, f.Offset-40), min(len(text), f.Offset+f.Length+10)
		parts = append(parts, f.Kind+": "+strings.ReplaceAll(text[lo:hi], "\n", `\n`))
	}
	return strings.Join(parts, "; ")
}

// TestScanNoFalseAlarm lists look-alikes: code that names credentials
// without holding one, placeholders, and tokens that are deliberately not
// reported. Fakes are built at run time (fake_test.go).
func TestScanNoFalseAlarm(t *testing.T) {
	f := newFaker(7)
	dash5 := "-----"
	cases := []struct{ name, text string }{
		{"go-getenv", `password := os.Getenv("DB_PASSWORD")`},
		{"go-header-get", `token := r.Header.Get("Authorization")`},
		{"go-struct-field", "type Creds struct {\n\tToken string `json:\"token\"`\n\tAPIKey string `json:\"api_key,omitempty\"`\n}"},
		{"go-compare", `if password == "" { return errEmpty }`},
		{"go-field-assign", `c.apiKey = cfg.APIKey`},
		{"go-variable", `opts.Token = tokenFromFlags`},
		{"env-reference", "API_KEY=${API_KEY}\nDB_PASSWORD=$DB_PASSWORD\nTOKEN=%TOKEN%"},
		{"env-empty", "SECRET_KEY=\nAPI_TOKEN=\n"},
		{"env-name-value", "TOKEN_ENV_VAR=GITHUB_TOKEN"},
		{"yaml-template", "password: '{{ .Values.db.password }}'\ntoken: ${{ secrets.GITHUB_TOKEN }}"},
		{"yaml-placeholder", "password: <password>\napi_key: your-api-key-here\nsecret: changeme\ntoken: xxxxxxxxxxxxxxxx"},
		{"yaml-vault", "password: !vault |\n  $ANSIBLE_VAULT;1.1;AES256"},
		{"yaml-k8s-names", "secret: orders-db-credentials\nsecretName: tls-secret\ntoken: service-account-token"},
		{"yaml-path", "password: /run/secrets/db_password\ntoken: ./secrets/token.txt"},
		{"json-masked", `{"password": "********", "api_key": "sk-..."}`},
		{"json-schema", `{"token": {"type": "string", "description": "API token"}}`},
		{"ts-type", "interface Opts {\n  apiKey: string;\n  password?: string;\n  token: Token | undefined;\n}"},
		{"js-env", `const token = process.env.GITHUB_TOKEN; const apiKey = config.apiKey;`},
		{"py-call", "password = getpass.getpass()\ntoken = get_token(scope='repo')\nsecret = secrets.token_hex(32)"},
		{"py-index", `api_key = os.environ["OPENAI_API_KEY"]`},
		{"py-kwarg-var", "client = Client(api_key=api_key, token=self._token)"},
		{"prose", "The password: a string of at least 12 characters. Pass the token= parameter to authenticate."},
		{"max-tokens", `{"max_tokens": 4096, "num_tokens": 12, "tokenizer": "Qwen2TokenizerFast"}`},
		{"camel-case-name", `token: "AccessTokenProvider"`},
		{"viper-example", "module:\n    enabled: true\n    token: 89h3f98hbwf987h3f98wenf89ehf"},
		{"test-value", `password = "test-password-123"`},
		{"url-placeholder", "postgres://user:password@localhost:5432/db and https://admin:${ADMIN_PASS}@example.com"},
		{"url-no-password", "git@github.com:acme/orders.git https://user@example.com/ ssh://git@host:22/x"},
		{"bearer-env", `curl -H "Authorization: Bearer $OPENAI_API_KEY" https://api.openai.com/v1/models`},
		{"bearer-template", `headers = {"Authorization": f"Bearer {token}"}`},
		{"pem-header-only", `if strings.HasPrefix(s, "` + dash5 + `BEGIN RSA PRIVATE KEY` + dash5 + `") {`},
		{"pem-public-key", pemWrap("PUBLIC KEY", f.pemBody("MIIBIjANBgkqhkiG9w0BAQEFAAOC", 6, "\n"), "\n")},
		{"pem-certificate", pemWrap("CERTIFICATE", f.pemBody("MIIDdzCCAl+gAwIBAgIEAgAAuTAN", 12, "\n"), "\n")},
		{"stripe-test-key", `stripe.api_key = "` + f.fake("stripe-test") + `"`},
		{"stripe-publishable", `const stripe = Stripe("` + f.fake("stripe-publishable") + `");`},
		{"aws-id-too-long", "AK" + "IA" + f.chars(upperDigit, 17)},
		{"aws-id-lowercase-tail", "AK" + "IA" + f.chars(upperDigit, 16) + "x"},
		{"aws-id-inside-word", "XAK" + "IA" + f.chars(upperDigit, 16)},
		{"google-too-short", "AI" + "za" + f.chars(b64url, 30)},
		{"github-too-short", "gh" + "p_" + f.chars(alnum, 30)},
		{"github-placeholder", "gh" + "p_" + strings.Repeat("x", 36)},
		{"gitlab-placeholder", "gl" + "pat-your-personal-access-token"},
		{"slack-placeholder", "xo" + "xb-your-bot-token-goes-here"},
		{"slack-webhook-placeholder", "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"},
		{"sk-css-class", `<div class="sk-folding-cube sk-cube-grid-animation-delay-long"></div>`},
		{"sk-short", `apiKey: "sk-abc123"`},
		{"typed-password", `password: "pass12345"`},
		{"typed-runs", `DB_PASSWORD="qwerty12345asdf"`},
		{"typed-run-and-word", `secret = "Hunter2abcdef"`},
		{"placeholder-word-alone", `API_TOKEN="tok_test_9fK2mQ7xLp4vR8zW"`},
		{"placeholder-word-and-rest", `password: "Test1234"`},
		{"placeholder-your", `api_key = "your-api-key-goes-here"`},
		{"placeholder-dummy-key", `SECRET_KEY="dummy-secret-for-ci-only-42"`},
		{"jwt-no-alg", "eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiIxIn0." + f.chars(b64url, 43)},
		{"jwt-unsigned", "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0."},
		{"jwt-not-json", "eyJub3QganNvbg.eyJzdWIiOiIxIn0." + f.chars(b64url, 43)},
		{"sha256-hashes", "h1:lAsf5O2EvJeSFMiBxXDki7sCgAxEUcZHXoXMKT4GJKc=\nsha256:" + f.chars(hexLower, 64)},
		{"uuid-id", `"request_id": "` + f.chars(hexLower, 8) + "-" + f.chars(hexLower, 4) + `"`},
		{"shell-colour-escape", `PASS="\x1b[32mPASS"`},
		{"elided-example", `'Authorization': 'OAuth oauth_token=234lsdkf....'`},
		{"webdav-lock-token", "Token: `urn:uuid:181d4fae-7d8c-11d0-a765-00a0c91e6bf2`,"},
		{"key-file-name", `const defaultPrivateKey = "id_ed25519"` + "\n" + `secret_key: "prod-signing.pem"`},
		{"class-name-value", `private_key: "_DSAPrivateKey", encryptionKey: "encryptionKey1024"`},
		{"header-name-value", `const fakeConnectionToken = "X-Fake-Connection-Token"`},
		{"authorization-call", `"authorization": s.t.Type() + " " + tok, "Authorization": fmt.Sprintf("Bearer %s", tok)`},
		{"base64-of-words", `"continuationToken": "dG9rZW4tMQ==", Authorization: "Basic Q0xJRU5UX0lEOkNMSUVOVF9TRUNSRVQ="`},
		{"base64-of-short-text", `"continuationToken": "Y2twdC0x", "nextToken": "Y2twMS10b2tlbg=="`},
		{"hex-constant", "FS_IOC_REMOVE_ENCRYPTION_KEY = 0xc0406618"},
		{"colon-field-list", "// groupname:password:GID:user_list"},
		{"password-hash-field", `password_hash = "$2b$12$` + f.chars(b64std, 53) + `"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if fs := Scan(tc.text); len(fs) > 0 {
				t.Errorf("false alarm: %s", describeContext(tc.text, fs))
			}
			if Contains(tc.text) {
				t.Error("Contains = true")
			}
		})
	}
}

package secrets

import (
	"encoding/base64"
	"math/rand/v2"
	"strings"
)

// Fake credentials are built at run time from a seeded generator: random
// enough to look real to the detector, valid nowhere, and never present in
// the repository as a key-shaped literal that a secret scanner (GitHub push
// protection, gitleaks) would flag. Prefixes are split for the same reason.

const (
	alnum      = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	upperDigit = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b64url     = alnum + "-_"
	b64std     = alnum + "+/"
	hexLower   = "0123456789abcdef"
	digits     = "0123456789"
	// pwChars avoids quotes, spaces and the characters that start a
	// template or reference ($, %, {, <), which no detector should be
	// asked to see through.
	pwChars = alnum + "!#^*-_=+.,"
)

type faker struct{ r *rand.Rand }

func newFaker(seed uint64) *faker {
	return &faker{rand.New(rand.NewPCG(seed, seed^0x5eed))}
}

func (f *faker) chars(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[f.r.IntN(len(alphabet))]
	}
	return string(b)
}

// password is a typed-looking strong password: starts with a letter.
func (f *faker) password() string {
	return f.chars(alnum[:52], 1) + f.chars(pwChars, 15)
}

// pemBody is n base64 lines of 64 characters after a fixed DER/format
// lead-in, joined by nl ("\n", or `\n` for JSON-escaped text).
func (f *faker) pemBody(lead string, lines int, nl string) string {
	var b strings.Builder
	b.WriteString(lead)
	b.WriteString(f.chars(b64std, 64-len(lead)))
	for range lines - 1 {
		b.WriteString(nl)
		b.WriteString(f.chars(b64std, 64))
	}
	b.WriteString(nl)
	b.WriteString(f.chars(b64std, 40))
	b.WriteString("==")
	return b.String()
}

func pemWrap(label, body, nl string) string {
	dash := "-----"
	return dash + "BEGIN " + label + dash + nl + body + nl + dash + "END " + label + dash
}

func (f *faker) jwt() string {
	enc := base64.RawURLEncoding
	hdr := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	payload := enc.EncodeToString([]byte(`{"sub":"` + f.chars(digits, 10) + `","name":"Ada","iat":1716239022}`))
	return hdr + "." + payload + "." + f.chars(b64url, 43)
}

// fake returns the fake credential called name. The names are the
// vocabulary of the {{kind:name}} markers in testdata/positive.
func (f *faker) fake(name string) string {
	switch name {
	case "aws-id":
		return "AK" + "IA" + f.chars(upperDigit, 16)
	case "aws-id-sts":
		return "AS" + "IA" + f.chars(upperDigit, 16)
	case "aws-id-example":
		return "AK" + "IA" + "IOSFODNN7EXAMPLE" // AWS's documented example
	case "aws-secret":
		return f.chars(b64std, 40)
	case "google":
		return "AI" + "za" + "Sy" + f.chars(b64url, 33)
	case "gemini-auth":
		return "AQ" + ".Ab" + f.chars(b64url, 50)
	case "ghp":
		return "gh" + "p_" + f.chars(alnum, 36)
	case "ghs":
		return "gh" + "s_" + f.chars(alnum, 36)
	case "github-pat":
		return "github" + "_pat_" + f.chars(alnum, 22) + "_" + f.chars(alnum, 59)
	case "glpat":
		return "gl" + "pat-" + f.chars(b64url, 20)
	case "slack-bot":
		return "xo" + "xb-" + f.chars(digits, 13) + "-" + f.chars(digits, 13) + "-" + f.chars(alnum, 24)
	case "slack-user":
		return "xo" + "xp-" + f.chars(digits, 12) + "-" + f.chars(digits, 12) + "-" + f.chars(digits, 13) + "-" + f.chars(hexLower, 32)
	case "slack-webhook":
		return "hooks.slack.com/" + "services/T" + f.chars(upperDigit, 8) + "/B" + f.chars(upperDigit, 10) + "/" + f.chars(alnum, 24)
	case "stripe":
		return "sk_" + "live_" + f.chars(alnum, 24)
	case "stripe-restricted":
		return "rk_" + "live_" + f.chars(alnum, 99)
	case "stripe-test":
		return "sk_" + "test_" + f.chars(alnum, 24)
	case "stripe-publishable":
		return "pk_" + "live_" + f.chars(alnum, 24)
	case "openai-legacy":
		return "sk-" + f.chars(alnum, 20) + "T3Blbk" + "FJ" + f.chars(alnum, 20)
	case "openai-proj":
		return "sk-" + "proj-" + f.chars(b64url, 156)
	case "anthropic":
		return "sk-" + "ant-api03-" + f.chars(b64url, 93) + "AA"
	case "jwt":
		return f.jwt()
	case "password":
		return f.password()
	case "url-password":
		// RFC 3986 userinfo: unreserved and sub-delims need no escaping.
		return f.chars(alnum[:52], 1) + f.chars(alnum+"-._~!*+", 15)
	case "mistral":
		return f.chars(alnum, 32)
	case "hex40":
		return f.chars(hexLower, 40)
	case "django":
		return f.chars(alnum+"!#^*-_=+", 50)
	case "pem-rsa":
		return pemWrap("RSA PRIVATE KEY", f.pemBody("MIIEowIBAAKCAQEA", 24, "\n"), "\n")
	case "pem-ec":
		return pemWrap("EC PRIVATE KEY", f.pemBody("MHcCAQEEI", 2, "\n"), "\n")
	case "pem-openssh":
		return pemWrap("OPENSSH PRIVATE KEY", f.pemBody("b3BlbnNzaC1rZXktdjEAAAAA", 6, "\n"), "\n")
	case "pem-pkcs8-json":
		return pemWrap("PRIVATE KEY", f.pemBody("MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", 25, `\n`), `\n`)
	case "pem-encrypted-rsa":
		hdr := "Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC," + strings.ToUpper(f.chars(hexLower, 32)) + "\n\n"
		return pemWrap("RSA PRIVATE KEY", hdr+f.pemBody("", 24, "\n"), "\n")
	case "pem-pgp":
		hdr := "Version: GnuPG v2\nComment: backup of signing subkey\n\n"
		return pemWrap("PGP PRIVATE KEY BLOCK", hdr+f.pemBody("lQVYBG", 30, "\n")+"\n="+f.chars(b64std, 4), "\n")
	}
	panic("fake_test: no fake named " + name)
}

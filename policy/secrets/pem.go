package secrets

import "strings"

// PEM private key blocks: "-----BEGIN <label>-----" where the label ends in
// "PRIVATE KEY" (PKCS#1 "RSA", SEC1 "EC", "DSA", "OPENSSH", PKCS#8 plain or
// "ENCRYPTED") or "PRIVATE KEY BLOCK" (OpenPGP armour), then a base64 body.
// Sources: RFC 7468 §2 and §10–11 (textual encoding, PKCS#8 labels), RFC
// 4880 §6.2 (armour headers), OpenSSH PROTOCOL.key.
//
// A header alone is not a key: code that parses PEM, and docs about it,
// mention "-----BEGIN RSA PRIVATE KEY-----" without a body. So a block counts
// only when a run of pemMinRun base64 characters starts within pemBodyWindow
// bytes of the header (room for RFC 1421 Proc-Type/DEK-Info lines and
// OpenPGP Version/Comment lines). Newlines may be real or JSON-escaped.
const (
	pemBegin      = "-----BEGIN "
	pemMaxLabel   = 48
	pemBodyWindow = 512
	pemMinRun     = 40
)

func detectPEM(sc *scanner) {
	s := sc.text
	for from := 0; from < len(s); {
		k := strings.Index(s[from:], pemBegin)
		if k < 0 {
			return
		}
		start := from + k
		end := pemBlock(s, start)
		if end < 0 {
			from = start + len(pemBegin)
			continue
		}
		kind := KindPrivateKey
		if gcpPrivateKeyField(s, start) {
			kind = KindGCPServiceAccount
		}
		if !sc.add(kind, start, end) {
			return
		}
		from = end
	}
}

// pemBlock returns the end of the private key block whose header starts at
// start, or -1 if there is none.
func pemBlock(s string, start int) int {
	i := start + len(pemBegin)
	n := 0
	for i+n < len(s) && n < pemMaxLabel && (is(s[i+n], cUpperDigit) || s[i+n] == ' ') {
		n++
	}
	label := s[i : i+n]
	if !strings.HasSuffix(label, "PRIVATE KEY") && !strings.HasSuffix(label, "PRIVATE KEY BLOCK") {
		return -1
	}
	i += n
	if !strings.HasPrefix(s[i:], "-----") {
		return -1
	}
	i += len("-----")
	body := pemBodyStart(s, i)
	if body < 0 {
		return -1
	}
	return pemBodyEnd(s, body)
}

// pemBodyStart finds the first run of pemMinRun base64 characters within
// pemBodyWindow bytes of i, before any further "-----" line (the footer,
// or the next header: then this one had no body).
func pemBodyStart(s string, i int) int {
	limit := min(len(s), i+pemBodyWindow)
	runStart, runLen := i, 0
	for j := i; j < limit; j++ {
		if s[j] == '-' && strings.HasPrefix(s[j:], "-----") {
			return -1
		}
		if is(s[j], cB64) {
			if runLen == 0 {
				runStart = j
			}
			runLen++
			if runLen >= pemMinRun {
				return runStart
			}
		} else {
			runLen = 0
		}
	}
	return -1
}

// pemBodyEnd walks over the base64 body (whitespace, '=' padding and JSON
// escapes included) and, if the matching footer follows, past it.
func pemBodyEnd(s string, i int) int {
	j := i
body:
	for j < len(s) {
		b := s[j]
		switch {
		case is(b, cB64|cSpace) || b == '=':
			j++
		case b == '\\' && j+1 < len(s) && strings.IndexByte("nrt/", s[j+1]) >= 0:
			j += 2
		default:
			break body
		}
	}
	if strings.HasPrefix(s[j:], "-----END ") {
		k := j + len("-----END ")
		if e := strings.Index(s[k:min(len(s), k+pemMaxLabel+5)], "-----"); e >= 0 {
			return k + e + len("-----")
		}
	}
	// No footer (cut-off text): the block ends with its body. Trailing
	// whitespace and escapes are not part of it.
	for j > i && (is(s[j-1], cSpace) || s[j-1] == '\\') {
		j--
	}
	return j
}

// gcpPrivateKeyField reports whether the block at start is the value of a
// JSON "private_key" field, as in a Google Cloud service-account key file
// ({"type": "service_account", …, "private_key": "-----BEGIN PRIVATE KEY-----\n…"}).
// Source: Google Cloud IAM docs, "Create and delete service account keys".
func gcpPrivateKeyField(s string, start int) bool {
	before := strings.TrimRight(s[max(0, start-64):start], "\"\\ \t")
	if !strings.HasSuffix(before, ":") {
		return false
	}
	before = strings.TrimRight(before[:len(before)-1], "\"\\ \t")
	return strings.HasSuffix(before, "private_key")
}

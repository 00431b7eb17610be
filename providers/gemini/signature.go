package gemini

import (
	"container/list"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"sync"
)

// Tool-call id layout: idPrefix + 26 random base32 characters, then
// optionally a separator and base64url (unpadded) of the thought signature.
// "__thought__" is the separator LiteLLM uses for the same purpose
// (BerriAI/litellm PR #41590 describes its "call_<hex>__thought__<base64>"
// ids), so a history that passed through LiteLLM decodes too. The "lead"
// separator marks a signature Gemini 2.5 put on the first part of the reply
// rather than on a function call ("Gemini 2.5 will have the signature in the
// first part (regardless of type)", ai.google.dev thought-signatures,
// "Thought signatures for different models"); it goes back on that part.
const (
	idPrefix = "call_"
	sepCall  = "__thought__"
	sepLead  = "__thoughtlead__"
)

// placeholderSignature is what Google documents for function calls that
// Gemini did not produce: "you can set the following dummy signatures of
// either "context_engineering_is_the_way_to_go" or
// "skip_thought_signature_validator"" (ai.google.dev/gemini-api/docs/
// thought-signatures, FAQ 1). Vertex documents only the second
// (cloud.google.com/vertex-ai/generative-ai/docs/thought-signatures), so it is
// the one that works on both backends.
//
// thoughtSignature is a bytes field. Google's Python SDK users (and LiteLLM,
// whose tests pin base64(b"skip_thought_signature_validator")) set the ASCII
// bytes of the value, which the SDK sends base64-encoded; we do the same, so
// the wire matches what the official SDKs send.
var placeholderSignature = []byte("skip_thought_signature_validator")

// newCallID returns a fresh "call_<26 base32>" id (crypto/rand.Text: 130
// bits, so collisions within one daemon's map are not a concern).
func newCallID() string {
	return idPrefix + rand.Text()
}

// sigRef is a signature recovered from a tool-call id or the map.
type sigRef struct {
	sig []byte
	// lead is true when the signature belongs on the first part of the
	// model's reply (Gemini 2.5) rather than on this call's part.
	lead bool
}

// encodeCallID builds the id for a call. If the full id would be longer
// than maxLen, the returned id is the bare key and inline is false.
func encodeCallID(key string, s sigRef, maxLen int) (id string, inline bool) {
	if len(s.sig) == 0 {
		return key, false
	}
	sep := sepCall
	if s.lead {
		sep = sepLead
	}
	n := len(key) + len(sep) + base64.RawURLEncoding.EncodedLen(len(s.sig))
	if n > maxLen {
		return key, false
	}
	return key + sep + base64.RawURLEncoding.EncodeToString(s.sig), true
}

// decodeCallID splits an id into its key and any inline signature. Ids we
// did not issue come back whole as the key with no signature. A payload that
// is not base64 is treated as absent, not as an error: the id is the
// client's to keep, and the placeholder is the safe fallback.
func decodeCallID(id string) (key string, s sigRef, ok bool) {
	i := strings.Index(id, "__thought")
	if i < 0 {
		return id, sigRef{}, false
	}
	rest := id[i:]
	switch {
	case strings.HasPrefix(rest, sepLead):
		s.lead = true
		rest = rest[len(sepLead):]
	case strings.HasPrefix(rest, sepCall):
		rest = rest[len(sepCall):]
	default:
		return id, sigRef{}, false
	}
	sig, err := decodeSigPayload(rest)
	if err != nil || len(sig) == 0 {
		return id[:i], sigRef{}, false
	}
	s.sig = sig
	return id[:i], s, true
}

// decodeSigPayload accepts base64url and standard base64, padded or not,
// because other gateways using the same separator differ in alphabet.
func decodeSigPayload(p string) ([]byte, error) {
	p = strings.TrimRight(p, "=")
	if strings.ContainsAny(p, "+/") {
		return base64.RawStdEncoding.DecodeString(p)
	}
	return base64.RawURLEncoding.DecodeString(p)
}

// sigCache is the second path for signatures: a map from id key to
// signature, bounded by total signature bytes with least-recently-used
// eviction. It exists for ids too long to carry their signature inline; it
// is lost on restart, after which the placeholder applies.
type sigCache struct {
	mu       sync.Mutex
	maxBytes int
	size     int
	order    *list.List // of *sigEntry, front = most recent
	byKey    map[string]*list.Element
}

type sigEntry struct {
	key string
	ref sigRef
}

func newSigCache(maxBytes int) *sigCache {
	return &sigCache{maxBytes: maxBytes, order: list.New(), byKey: make(map[string]*list.Element)}
}

func (c *sigCache) put(key string, ref sigRef) {
	if c == nil || c.maxBytes <= 0 || len(ref.sig) == 0 || len(ref.sig) > c.maxBytes {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byKey[key]; ok {
		old := el.Value.(*sigEntry)
		c.size -= len(old.ref.sig)
		old.ref = ref
		c.size += len(ref.sig)
		c.order.MoveToFront(el)
	} else {
		c.byKey[key] = c.order.PushFront(&sigEntry{key: key, ref: ref})
		c.size += len(ref.sig)
	}
	for c.size > c.maxBytes {
		el := c.order.Back()
		e := el.Value.(*sigEntry)
		c.order.Remove(el)
		delete(c.byKey, e.key)
		c.size -= len(e.ref.sig)
	}
}

func (c *sigCache) get(key string) (sigRef, bool) {
	if c == nil {
		return sigRef{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byKey[key]
	if !ok {
		return sigRef{}, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*sigEntry).ref, true
}

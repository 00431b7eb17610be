package mistral

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"regexp"
	"strconv"

	"github.com/switchyard/switchyard/chat"
)

// Mistral refuses any tool call id that is not exactly nine ASCII letters or
// digits: "Tool call id was call_0fypS1hVX but must be a-z, A-Z, 0-9, with a
// length of 9." (mistral-common validator.py, MistralRequestValidatorV3;
// HTTP 400 code 3280 in nearai/ironclaw#1241).
var mistralID = regexp.MustCompile(`^[a-zA-Z0-9]{9}$`)

// Function names follow the same validator: ^[a-zA-Z0-9_-]{1,64}$.
var functionName = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// hashID derives a Mistral-shaped id from s. salt > 0 gives the alternates
// used when two different originals would otherwise land on the same id.
//
// Nine base-62 digits hold 62^9 ≈ 1.35e16 values; a uint64 from SHA-256
// reduced modulo that is uniform enough that two distinct ids in one
// conversation collide with probability about n²/2.7e16.
func hashID(s string, salt int) string {
	in := s
	if salt > 0 {
		in = s + "\x00" + strconv.Itoa(salt)
	}
	sum := sha256.Sum256([]byte(in))
	v := binary.BigEndian.Uint64(sum[:8])
	var b [9]byte
	for i := range b {
		b[i] = base62[v%62]
		v /= 62
	}
	return string(b[:])
}

// idPlan says which id Mistral sees for every tool call and tool result of a
// conversation.
//
// The mapping is a pure function of the conversation, so it needs no state
// and survives restarts, and it is stable as the conversation grows:
//
//   - An id that is already nine letters or digits (Mistral generated it, and
//     the client echoes it back) is sent unchanged. Answers pass Mistral's ids
//     to the client unchanged too, so the client's history never changes under
//     it.
//   - Any other id (call_abc… from OpenAI or Ollama, a UUID) becomes
//     hashID(original). The same original always gives the same id, in every
//     turn, and the call and the result that answers it agree.
//   - A call without an id gets one derived from its position; a result
//     without a tool_call_id answers the first unanswered call of the
//     assistant message before it.
//
// Collisions: native ids are claimed first and never move; hashed ids are
// claimed in order of first appearance and a hashed id that meets a taken
// one is re-derived with a salt until it is free. History only grows at its
// end, so ids already handed out keep their value as turns are added. The
// one way an earlier hashed id can move is a later native id equal to it
// (about one chance in 10^16 per pair); it then moves in both the call and
// its result, which is all Mistral, being stateless, needs.
type idPlan struct {
	calls   [][]string // calls[i][j]: the id of message i's j-th tool call
	results []string   // results[i]: the tool_call_id of tool message i
	names   []string   // names[i]: the function tool message i answers, if known and valid
}

// planToolCallIDs builds the plan for msgs. It fails, naming the message,
// when the tool calls and results do not pair up the way both OpenAI and
// Mistral require: every call of an assistant message answered by exactly
// one tool message before the next non-tool message (mistral-common
// MistralRequestValidatorV13._validate_tool_calls_followed_by_tool_messages).
func planToolCallIDs(msgs []chat.Message) (idPlan, error) {
	plan := idPlan{
		calls:   make([][]string, len(msgs)),
		results: make([]string, len(msgs)),
		names:   make([]string, len(msgs)),
	}
	// First pass: the original key of every call and result, and the pairing.
	var order []string             // keys in order of first appearance
	seen := map[string]bool{}      // keys already in order
	synthetic := map[string]bool{} // keys that are positions, not ids
	nameOf := map[string]string{}  // key → function name
	var pending []string           // unanswered calls of the current block
	blockStart := -1
	note := func(k string) {
		if !seen[k] {
			seen[k] = true
			order = append(order, k)
		}
	}
	for i, m := range msgs {
		if m.Role != chat.RoleTool && len(pending) > 0 {
			return idPlan{}, fmt.Errorf("message %d: tool call %q of message %d has no tool result before it", i, displayID(pending[0], synthetic), blockStart)
		}
		switch m.Role {
		case chat.RoleAssistant:
			keys := make([]string, len(m.ToolCalls))
			inMsg := map[string]bool{}
			for j, c := range m.ToolCalls {
				k := c.ID
				if k == "" {
					k = fmt.Sprintf("\x00call:%d:%d", i, j)
					synthetic[k] = true
				}
				if inMsg[k] {
					return idPlan{}, fmt.Errorf("message %d: tool call id %q appears twice", i, c.ID)
				}
				inMsg[k] = true
				keys[j] = k
				nameOf[k] = c.Name
				note(k)
			}
			plan.calls[i] = keys
			pending = append(pending[:0:0], keys...)
			blockStart = i
		case chat.RoleTool:
			k := m.ToolCallID
			at := -1
			if k == "" {
				if len(pending) > 0 {
					at = 0
					k = pending[0]
				}
			} else {
				for p, pk := range pending {
					if pk == k {
						at = p
						break
					}
				}
			}
			if at < 0 {
				if m.ToolCallID == "" {
					return idPlan{}, fmt.Errorf("message %d: tool result without tool_call_id and no unanswered tool call before it", i)
				}
				return idPlan{}, fmt.Errorf("message %d: tool result for %q, which no unanswered tool call of the assistant message before it made", i, m.ToolCallID)
			}
			pending = append(pending[:at], pending[at+1:]...)
			plan.results[i] = k
			if n := nameOf[k]; functionName.MatchString(n) {
				plan.names[i] = n
			}
		}
	}
	if len(pending) > 0 {
		return idPlan{}, fmt.Errorf("message %d: tool call %q has no tool result (the conversation ends first)", blockStart, displayID(pending[0], synthetic))
	}

	// Second pass: natives keep their value, the rest hash into free ids.
	assigned := make(map[string]string, len(order))
	taken := make(map[string]bool, len(order))
	for _, k := range order {
		if !synthetic[k] && mistralID.MatchString(k) {
			assigned[k] = k
			taken[k] = true
		}
	}
	for _, k := range order {
		if _, ok := assigned[k]; ok {
			continue
		}
		id := hashID(k, 0)
		for salt := 1; taken[id]; salt++ {
			id = hashID(k, salt)
		}
		assigned[k] = id
		taken[id] = true
	}
	for i := range msgs {
		for j, k := range plan.calls[i] {
			plan.calls[i][j] = assigned[k]
		}
		if k := plan.results[i]; k != "" {
			plan.results[i] = assigned[k]
		}
	}
	return plan, nil
}

func displayID(k string, synthetic map[string]bool) string {
	if synthetic[k] {
		return "(no id)"
	}
	return k
}

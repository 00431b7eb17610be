package mistralfake

import (
	"encoding/json"
	"fmt"
	"regexp"
)

// apiError is Mistral's error body for everything that is not a schema
// violation: {"object":"error","message":…,"type":…,"param":null,"code":…}
// (resources/error-glossary.md; every recorded 400 and 429 in the issues
// cited below).
type apiError struct {
	Object        string  `json:"object"`
	Message       string  `json:"message"`
	Type          string  `json:"type"`
	Param         *string `json:"param"`
	Code          *string `json:"code"`
	RawStatusCode int     `json:"raw_status_code,omitempty"`
}

func newAPIError(msg, typ, code string, rawStatus int) apiError {
	e := apiError{Object: "error", Message: msg, Type: typ, RawStatusCode: rawStatus}
	if code != "" {
		e.Code = &code
	}
	return e
}

// The rules of mistral-common's request validator in serving mode
// (src/mistral_common/protocol/instruct/validator.py, MistralRequestValidatorV13,
// which Devstral 2's tokenizer uses), with the messages and error types the
// API answers them with where an answer has been recorded.

var (
	toolCallIDPattern = regexp.MustCompile(`^[a-zA-Z0-9]{9}$`)
	functionNameRule  = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)
)

// wireMessage is a request message as the rules read it.
type wireMessage struct {
	Role       string          `json:"role"`
	Content    json.RawMessage `json:"content"`
	ToolCalls  []wireToolCall  `json:"tool_calls"`
	ToolCallID *string         `json:"tool_call_id"`
	Name       *string         `json:"name"`
	Prefix     bool            `json:"prefix"`
}

type wireToolCall struct {
	ID       *string `json:"id"`
	Function struct {
		Name string `json:"name"`
	} `json:"function"`
}

type wireTool struct {
	Function struct {
		Name string `json:"name"`
	} `json:"function"`
}

// hasContent is Python's bool(message.content): null, "" and [] are false.
func hasContent(c json.RawMessage) bool {
	if isNull(c) {
		return false
	}
	var s string
	if json.Unmarshal(c, &s) == nil {
		return s != ""
	}
	var a []json.RawMessage
	if json.Unmarshal(c, &a) == nil {
		return len(a) > 0
	}
	return true
}

// checkRules applies the validator's rules to schema-valid messages and
// tools; the first violation is the answer, as the validator raises.
func checkRules(msgs []wireMessage, tools []wireTool) *apiError {
	for _, t := range tools {
		if !functionNameRule.MatchString(t.Function.Name) {
			return invalidRequest(fmt.Sprintf("Function name was %s but must be a-z, A-Z, 0-9, or contain underscores and dashes, with a maximum length of 64.", t.Function.Name))
		}
	}
	if err := checkStructure(msgs); err != nil {
		return err
	}
	return checkContent(msgs)
}

func invalidRequest(msg string) *apiError {
	e := newAPIError(msg, "invalid_request_error", "", 0)
	return &e
}

// checkStructure is _validate_message_list_structure.
func checkStructure(msgs []wireMessage) *apiError {
	if len(msgs) == 0 {
		return invalidRequest("Conversation must have at least one message")
	}
	if len(msgs) == 1 && msgs[0].Role != "user" && msgs[0].Role != "system" {
		return invalidRequest("Conversation must start with a user message or system message")
	}
	if len(msgs) > 1 {
		// "Expected last role User or Tool (or Assistant with prefix True)
		// for serving but got assistant", type invalid_request_error,
		// code null (NEKOparapa/AiNiee#641, huggingface/smolagents#757).
		last := msgs[len(msgs)-1]
		if last.Role != "user" && last.Role != "tool" && !(last.Role == "assistant" && last.Prefix) {
			return invalidRequest(fmt.Sprintf("Expected last role User or Tool (or Assistant with prefix True) for serving but got %s", last.Role))
		}
	}
	// _validate_message_order. The API answers "Unexpected role 'user'
	// after role 'tool'" with type invalid_request_message_order, code
	// "3230" (datapizza-labs/datapizza-ai#98, BerriAI/litellm#17761 on
	// devstral-2512).
	next := map[string]map[string]bool{
		"system":    fieldSet("user", "assistant", "system"),
		"user":      fieldSet("assistant", "system", "user"),
		"assistant": fieldSet("assistant", "user", "tool"),
		"tool":      fieldSet("assistant", "tool"),
	}
	for i := 1; i < len(msgs); i++ {
		prev, cur := msgs[i-1].Role, msgs[i].Role
		if !next[prev][cur] {
			e := newAPIError(fmt.Sprintf("Unexpected role '%s' after role '%s'", cur, prev), "invalid_request_message_order", "3230", 0)
			return &e
		}
	}
	return checkToolPairing(msgs)
}

// checkToolPairing is V13's _validate_tool_calls_followed_by_tool_messages,
// preceded by V3's id rule (which the validator applies per message). The
// id rule is the one clients meet: "Tool call id was call_0fypS1hVX but must
// be a-z, A-Z, 0-9, with a length of 9.", type invalid_function_call, code
// "3280", HTTP 400 (nearai/ironclaw#1241, mistralai/mistral-vibe#1075).
func checkToolPairing(msgs []wireMessage) *apiError {
	for _, m := range msgs {
		for _, c := range m.ToolCalls {
			if c.ID == nil || *c.ID == "null" {
				return invalidFunctionCall("Tool call id has to be defined in serving mode.")
			}
			if !toolCallIDPattern.MatchString(*c.ID) {
				return invalidFunctionCall(fmt.Sprintf("Tool call id was %s but must be a-z, A-Z, 0-9, with a length of 9.", *c.ID))
			}
		}
		if m.Role == "tool" {
			if m.ToolCallID == nil {
				return invalidRequest("Tool call id has to be defined.")
			}
			if !toolCallIDPattern.MatchString(*m.ToolCallID) {
				return invalidFunctionCall(fmt.Sprintf("Tool call id was %s but must be a-z, A-Z, 0-9, with a length of 9.", *m.ToolCallID))
			}
		}
	}
	expected := map[string]bool{}
	observed := map[string]bool{}
	for i, m := range msgs {
		if i == 0 {
			continue
		}
		switch m.Role {
		case "tool":
			id := *m.ToolCallID
			if observed[id] {
				return invalidRequest(fmt.Sprintf("Duplicate tool call id %s in tool results", id))
			}
			if !expected[id] {
				return invalidRequest(fmt.Sprintf("Unexpected tool call id %s in tool results", id))
			}
			observed[id] = true
		case "assistant":
			if len(expected) != len(observed) {
				return invalidRequest("Not the same number of function calls and responses")
			}
			clear(expected)
			clear(observed)
			for _, c := range m.ToolCalls {
				if expected[*c.ID] {
					return invalidRequest(fmt.Sprintf("Duplicate tool call id %s in assistant message", *c.ID))
				}
				expected[*c.ID] = true
			}
		}
	}
	if len(expected) != len(observed) {
		return invalidRequest("Not the same number of function calls and responses")
	}
	return nil
}

func invalidFunctionCall(msg string) *apiError {
	e := newAPIError(msg, "invalid_function_call", "3280", 400)
	return &e
}

// checkContent is _validate_message_list_content.
func checkContent(msgs []wireMessage) *apiError {
	for i, m := range msgs {
		switch m.Role {
		case "system":
			if isNull(m.Content) {
				return invalidRequest("System prompt must have content")
			}
		case "assistant":
			// V5 and later allow content and tool calls together; neither is
			// refused with "Assistant message must have either content or
			// tool_calls, but not none." (michelle-avery/openai-compatible-conversation#26).
			if !hasContent(m.Content) && len(m.ToolCalls) == 0 {
				return invalidRequest("Assistant message must have either content or tool_calls, but not none.")
			}
			for _, c := range m.ToolCalls {
				if !functionNameRule.MatchString(c.Function.Name) {
					return invalidFunctionCall(fmt.Sprintf("Function name was %s but must be a-z, A-Z, 0-9, or contain underscores and dashes, with a maximum length of 64.", c.Function.Name))
				}
			}
			if m.Prefix && i != len(msgs)-1 {
				return invalidRequest("Assistant message with prefix True must be last message")
			}
		case "tool":
			if m.Name != nil && !functionNameRule.MatchString(*m.Name) {
				return invalidRequest(fmt.Sprintf("Function name was %s but must be a-z, A-Z, 0-9, or contain underscores and dashes, with a maximum length of 64.", *m.Name))
			}
			// Stricter than anything recorded: the schema requires the
			// field and allows null, and what the model makes of an empty
			// result is undefined. The fake refuses it so that an adapter
			// that forgets its placeholder is caught.
			if !hasContent(m.Content) {
				return invalidRequest("Tool message content must not be empty (mistralfake rule)")
			}
		}
	}
	return nil
}

package geminifake

import (
	"bytes"
	"fmt"
	"net/http"
	"regexp"
)

// Error texts are Google's own where known, so code that matches on them
// is tested against the real wording. Each rule cites where the behaviour
// is documented or was observed.

// badRequest is a 400 INVALID_ARGUMENT with Google's envelope.
func badRequest(format string, args ...any) *apiErrorBody {
	return &apiErrorBody{Code: http.StatusBadRequest, Status: "INVALID_ARGUMENT", Message: fmt.Sprintf(format, args...)}
}

// functionNameRE: "Must start with a letter or an underscore. Must be a-z,
// A-Z, 0-9, or contain underscores, colons, dots, and dashes, with a maximum
// length of 128" (FunctionDeclaration.name, REST reference / go-genai).
var functionNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.:-]{0,127}$`)

// sigKind says where the fake issued a signature, so it can insist that it
// comes back on the same kind of part ("You must return this signature in
// the exact part where it was received", ai.google.dev thought-signatures).
type sigKind struct {
	onCall bool   // on a functionCall part (else the reply's first, non-call part)
	name   string // the call's function name
}

// checkRequest applies the rules of the generateContent family to a
// decoded request. sigs says what the fake issued.
func (s *Server) checkRequest(model string, req *Request, raw []byte) *apiErrorBody {
	// "contents is not specified" — the API's answer to an empty list.
	if len(req.Contents) == 0 {
		return badRequest("* GenerateContentRequest.contents: contents is not specified\n")
	}
	declared, e := checkTools(req.Tools)
	if e != nil {
		return e
	}
	if e := s.checkGenConfig(model, req.GenerationConfig); e != nil {
		return e
	}
	for i, c := range req.Contents {
		// Roles are "user" and "model" (Content.role in the REST reference;
		// the API's answer to anything else is this message).
		if c.Role != "" && c.Role != "user" && c.Role != "model" {
			return badRequest("Please use a valid role: user, model.")
		}
		// Gemini rejects two turns of one role in a row
		// (microsoft/autogen#2900, earendil-works/pi#2294).
		if i > 0 && role(c) == role(req.Contents[i-1]) {
			return badRequest("Please ensure that multiturn requests alternate between user and model.")
		}
		if len(c.Parts) == 0 {
			return badRequest("* GenerateContentRequest.contents[%d].parts: contents.parts must not be empty.\n", i)
		}
		for j := range c.Parts {
			if e := s.checkPart(i, j, &c.Parts[j], c.Role, declared); e != nil {
				return e
			}
		}
	}
	if e := s.checkCurrentTurn(req.Contents); e != nil {
		return e
	}
	if n := estimateTokens(raw); n > s.opts.InputTokenLimit {
		// Gemini's wording for an over-long prompt.
		return badRequest("The input token count (%d) exceeds the maximum number of tokens allowed (%d).", n, s.opts.InputTokenLimit)
	}
	return nil
}

func role(c Content) string {
	if c.Role == "" {
		return "user"
	}
	return c.Role
}

func checkTools(tools []Tool) (map[string]bool, *apiErrorBody) {
	declared := map[string]bool{}
	for i, t := range tools {
		for j, d := range t.FunctionDeclarations {
			if !functionNameRE.MatchString(d.Name) {
				return nil, badRequest("* GenerateContentRequest.tools[%d].function_declarations[%d].name: Invalid function name. Must start with a letter or an underscore. Must be alphameric (a-z, A-Z, 0-9), underscores (_), dots (.), colons (:), or dashes (-), with a maximum length of 128.\n", i, j)
			}
			// parametersJsonSchema "is mutually exclusive with parameters"
			// (FunctionDeclaration reference).
			if len(d.Parameters) > 0 && len(d.ParametersJSONSchema) > 0 {
				return nil, badRequest("* GenerateContentRequest.tools[%d].function_declarations[%d]: parameters and parameters_json_schema are mutually exclusive.\n", i, j)
			}
			declared[d.Name] = true
		}
	}
	return declared, nil
}

// checkGenConfig enforces Gemini 2.5 Pro's generation limits.
func (s *Server) checkGenConfig(model string, g *GenConfig) *apiErrorBody {
	if g == nil {
		return nil
	}
	if g.MaxOutputTokens != nil && (*g.MaxOutputTokens < 1 || *g.MaxOutputTokens > s.opts.OutputTokenLimit) {
		return badRequest("Unable to submit request because it has a maxOutputTokens value of %d but the supported range is from 1 (inclusive) to %d (exclusive). Update the value and try again.", *g.MaxOutputTokens, s.opts.OutputTokenLimit+1)
	}
	if g.Temperature != nil && (*g.Temperature < 0 || *g.Temperature > 2) {
		return badRequest("* GenerateContentRequest.generation_config.temperature: must be in the range [0.0, 2.0].\n")
	}
	if len(g.StopSequences) > 5 {
		return badRequest("* GenerateContentRequest.generation_config.stop_sequences: at most 5 stop sequences are allowed.\n")
	}
	// Non-zero penalties: "Penalty is not enabled for models/gemini-2.5-*"
	// (vercel/ai#8943; google-gemini/cookbook#1290).
	if (g.PresencePenalty != nil && *g.PresencePenalty != 0) || (g.FrequencyPenalty != nil && *g.FrequencyPenalty != 0) {
		return badRequest("Penalty is not enabled for models/%s", model)
	}
	if tc := g.ThinkingConfig; tc != nil {
		if tc.ThinkingBudget != nil && tc.ThinkingLevel != "" {
			return badRequest("You can only set only one of thinking budget and thinking level.")
		}
		if b := tc.ThinkingBudget; b != nil {
			// 2.5 Pro: 128..32768 or -1 (dynamic); it cannot stop
			// thinking (ai.google.dev/gemini-api/docs/thinking#set-budget).
			switch {
			case *b == 0:
				return badRequest("Budget 0 is invalid. This model only works in thinking mode.")
			case *b != -1 && (*b < 128 || *b > 32768):
				return badRequest("The thinking budget %d is invalid. Please choose a value between 128 and 32768.", *b)
			}
		}
	}
	return nil
}

// checkPart enforces the one-data-field rule, function-response naming and
// signature provenance.
func (s *Server) checkPart(i, j int, p *Part, role string, declared map[string]bool) *apiErrorBody {
	if p.dataFields() != 1 {
		return badRequest("* GenerateContentRequest.contents[%d].parts[%d].data: required oneof field 'data' must have one initialized field\n", i, j)
	}
	if fc := p.FunctionCall; fc != nil && fc.Name == "" {
		return badRequest("* GenerateContentRequest.contents[%d].parts[%d].function_call.name: Name cannot be empty.\n", i, j)
	}
	if fr := p.FunctionResponse; fr != nil {
		if fr.Name == "" {
			return badRequest("* GenerateContentRequest.contents[%d].parts[%d].function_response.name: Name cannot be empty.\n", i, j)
		}
		// Stricter than documented on purpose: the response must name a
		// declared function ("name: Required. The name of the function to
		// call", FunctionResponse reference). An adapter that loses track of
		// names fails here instead of confusing the model.
		if !declared[fr.Name] {
			return badRequest("* GenerateContentRequest.contents[%d].parts[%d].function_response.name: function %q is not declared in tools.\n", i, j, fr.Name)
		}
	}
	if p.ThoughtSignature != "" {
		sig, ok := decodeSignature(p.ThoughtSignature)
		if !ok {
			// Protobuf JSON rejects bytes that are not base64.
			return badRequest("Invalid value at 'contents[%d].parts[%d].thought_signature' (TYPE_BYTES), Base64 decoding failed for %q", i, j, p.ThoughtSignature)
		}
		if !isPlaceholder(sig) {
			k, issued := s.issuedSig(sig)
			if !issued || role != "model" || k.onCall != (p.FunctionCall != nil) || (k.onCall && k.name != p.FunctionCall.Name) {
				// Signatures are opaque and checked; one that is not ours or
				// sits on another part fails ("Corrupted thought signature",
				// research PROVIDERS.md §8.6).
				return badRequest("Corrupted thought signature.")
			}
		}
	}
	return nil
}

// isPlaceholder recognises the documented dummy signatures in both wire
// forms: the JSON string taken as base64 (REST users), and base64 of the
// ASCII text (what SDKs send for bytes set to the text).
func isPlaceholder(sig []byte) bool {
	for _, p := range []string{"skip_thought_signature_validator", "context_engineering_is_the_way_to_go"} {
		if bytes.Equal(sig, []byte(p)) {
			return true
		}
		if b, ok := decodeSignature(p); ok && bytes.Equal(sig, b) {
			return true
		}
	}
	return false
}

// checkCurrentTurn applies the thought-signature rule: "The API goes back
// in the history (newest to oldest) to find the most recent User message
// that contains standard content (e.g., text) ... All model functionCall
// turns occurring after that ... The first functionCall part in each step of
// the current turn must include its thought_signature"
// (ai.google.dev/gemini-api/docs/thought-signatures). A Gemini 2.5 reply
// signed on its first, non-call part passes when that part comes back
// signed.
func (s *Server) checkCurrentTurn(contents []Content) *apiErrorBody {
	start := 0
	for i := len(contents) - 1; i >= 0; i-- {
		if role(contents[i]) == "user" && hasStandardContent(contents[i]) {
			start = i + 1
			break
		}
	}
	for i := start; i < len(contents); i++ {
		c := contents[i]
		if c.Role != "model" {
			continue
		}
		for _, p := range c.Parts {
			if p.FunctionCall == nil {
				continue
			}
			if p.ThoughtSignature == "" && c.Parts[0].ThoughtSignature == "" {
				return badRequest("Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly, and missing thought_signature may lead to degraded model performance. Additional data, function call `default_api:%s` , position %d. Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures for more details.", p.FunctionCall.Name, i+1)
			}
			break // only the first call of each step is validated
		}
	}
	return nil
}

func hasStandardContent(c Content) bool {
	for _, p := range c.Parts {
		if p.FunctionResponse == nil {
			return true
		}
	}
	return false
}

// estimateTokens approximates a request's token count at four bytes a
// token; good enough to trip the input limit in tests.
func estimateTokens(raw []byte) int { return len(raw)/4 + 1 }

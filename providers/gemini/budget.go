package gemini

// Output and thinking limits of Gemini 2.5 Pro: 65,536 output tokens
// (ai.google.dev/gemini-api/docs/models#gemini-2.5-pro; the Vertex page says
// 65,535 and the API accepts both), thinking budget 128..32,768 and no way to
// turn thinking off (ai.google.dev/gemini-api/docs/thinking#set-budget).
const (
	outputCap      = 65536
	minThinking    = 128
	defaultEffortB = 8192
)

// effortBudget maps reasoning_effort to a thinking budget with the numbers
// Google's OpenAI compatibility layer documents for the same field
// (ai.google.dev/gemini-api/docs/openai#thinking: low 1,024, medium 8,192,
// high 24,576). "none" and "minimal" get the 2.5 Pro minimum.
func effortBudget(effort string) int {
	switch effort {
	case "none", "minimal":
		return minThinking
	case "low":
		return 1024
	case "high":
		return 24576
	default:
		return defaultEffortB
	}
}

// outputPlan decides maxOutputTokens and the thinking budget for a client's
// max_tokens and reasoning_effort. Zero maxOut and nil budget mean "leave it
// to Gemini". See the package doc for why thinking is added on top of the
// client's budget.
func outputPlan(maxTokens int, effort string) (maxOut int32, budget *int32) {
	if maxTokens <= 0 {
		if effort == "" {
			return 0, nil
		}
		b := int32(effortBudget(effort))
		return 0, &b
	}
	b := effortBudget(effort)
	if maxTokens+b > outputCap {
		b = max(outputCap-maxTokens, minThinking)
	}
	total := min(maxTokens+b, outputCap)
	b32 := int32(b)
	return int32(total), &b32
}

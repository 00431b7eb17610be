package realollama

import (
	"fmt"
	"strings"
)

// Model is the name the tiny model is created under in every Server. The
// "v-128k" tag is the seed's mistake on purpose: the definition caps
// num_ctx at 131,072 while the model natively holds 262,144.
const Model = "tiny-qwen3:v-128k"

// DefinitionNumCtx is the num_ctx PARAMETER in Model's definition.
const DefinitionNumCtx = 131072

// modelfile returns the Modelfile that imports the model directory dir.
//
// Besides num_ctx it sets the sampling parameters Qwen3-Coder's model card
// recommends (its generation_config.json carries the same), and stops at
// the ChatML markers, so /api/show lists parameters like a real
// definition's and random output ends where a turn would.
func modelfile(dir string) (string, error) {
	// The Modelfile parser reads FROM's argument up to the end of the line
	// and the template between triple quotes; neither may contain what
	// would end it.
	if strings.ContainsAny(dir, "\r\n") {
		return "", fmt.Errorf("realollama: model directory %q contains a newline", dir)
	}
	if strings.Contains(ChatTemplate, `"""`) {
		return "", fmt.Errorf("realollama: ChatTemplate contains a triple quote")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "FROM %s\n", dir)
	fmt.Fprintf(&b, "TEMPLATE \"\"\"%s\"\"\"\n", ChatTemplate)
	fmt.Fprintf(&b, "PARAMETER num_ctx %d\n", DefinitionNumCtx)
	for _, p := range []string{
		"temperature 0.7",
		"top_p 0.8",
		"top_k 20",
		"repeat_penalty 1.05",
		"stop <|im_start|>",
		"stop <|im_end|>",
		"stop <|endoftext|>",
	} {
		fmt.Fprintf(&b, "PARAMETER %s\n", p)
	}
	return b.String(), nil
}

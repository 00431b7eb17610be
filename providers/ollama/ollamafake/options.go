package ollamafake

import "fmt"

// optionKinds are the types of the runtime options Ollama knows
// (api/types.go Options and Runner). Options.FromMap ignores unknown keys
// with a warning and rejects a known key of the wrong type.
var optionKinds = map[string]string{
	"num_keep": "integer", "seed": "integer", "num_predict": "integer", "top_k": "integer",
	"repeat_last_n": "integer", "num_ctx": "integer", "num_batch": "integer", "num_gpu": "integer",
	"main_gpu": "integer", "num_thread": "integer", "draft_num_predict": "integer",
	"top_p": "float32", "min_p": "float32", "typical_p": "float32", "temperature": "float32",
	"repeat_penalty": "float32", "presence_penalty": "float32", "frequency_penalty": "float32",
	"stop":     "array",
	"use_mmap": "boolean", "numa": "boolean",
}

// validateOptions reproduces Options.FromMap's type checks and messages.
// JSON numbers arrive as float64, which FromMap accepts for integers too.
func validateOptions(opts map[string]any) error {
	for key, val := range opts {
		kind, ok := optionKinds[key]
		if !ok || val == nil {
			continue
		}
		switch kind {
		case "integer", "float32":
			if _, ok := val.(float64); !ok {
				return fmt.Errorf("option %q must be of type %s", key, kind)
			}
		case "boolean":
			if _, ok := val.(bool); !ok {
				return fmt.Errorf("option %q must be of type boolean", key)
			}
		case "array":
			list, ok := val.([]any)
			if !ok {
				return fmt.Errorf("option %q must be of type array", key)
			}
			for _, item := range list {
				if _, ok := item.(string); !ok {
					return fmt.Errorf("option %q must be of an array of strings", key)
				}
			}
		}
	}
	return nil
}

// optionInt reads an integer option; 0 when absent or not a number.
func optionInt(opts map[string]any, key string) int {
	f, _ := opts[key].(float64)
	return int(f)
}

package tokenize

// ResetWordCache empties b's word cache, so benchmarks can measure text
// the tokenizer has never seen.
func ResetWordCache(b *BPE) { b.words = newWordCache() }

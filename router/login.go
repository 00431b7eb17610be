package router

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"net/url"
)

// The status page's login. With auth on, a browser cannot send the token
// as a header when it loads a page, so POST /login takes it from a form
// and sets a cookie that GET /v1/switchyard/status accepts in its place
// (and no other endpoint: the cookie lets a person read the status, not
// spend the clouds' money). The cookie is an HMAC of the token under a key
// this process drew at random, so it is not the token, and a restart or a
// new token signs everyone out. HttpOnly keeps it from scripts, and
// SameSite=Strict from requests another site's page makes.

const sessionCookie = "switchyard_session"

// newSessionValue is the cookie's value for this router's token ("" without
// auth).
func newSessionValue(token []byte) string {
	if token == nil {
		return ""
	}
	key := make([]byte, 32)
	rand.Read(key)
	m := hmac.New(sha256.New, key)
	m.Write(token)
	return hex.EncodeToString(m.Sum(nil))
}

// hasSession reports whether r carries this process's session cookie.
func (rt *Router) hasSession(r *http.Request) bool {
	c, err := r.Cookie(sessionCookie)
	return err == nil && rt.session != "" && subtle.ConstantTimeCompare([]byte(c.Value), []byte(rt.session)) == 1
}

// handleLogin checks the form's token and, when it is right, sets the
// session cookie and sends the browser back to the page.
func (rt *Router) handleLogin(w http.ResponseWriter, r *http.Request) {
	if rt.token == nil {
		http.Redirect(w, r, "/", http.StatusSeeOther) // nothing to log in to
		return
	}
	// A form another site posts here carries that site's Origin.
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		if u, err := url.Parse(o); err != nil || u.Host != r.Host {
			writeError(w, r, newError(http.StatusForbidden, codeUnauthorized, "a login from another site's page (Origin %s) is refused; open switchyard's own page", o))
			return
		}
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	given := []byte("Bearer " + r.PostFormValue("token"))
	if subtle.ConstantTimeCompare(given, rt.token) != 1 {
		writeError(w, r, newError(http.StatusUnauthorized, codeUnauthorized, "wrong token: give the value of the variable auth.token_env names"))
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: rt.session, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

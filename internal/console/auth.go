package console

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// TokenFile is the name of the access token's file in a state directory. Whoever can read the
// state directory can read the token: the console gives no more than the state itself does.
const TokenFile = "console-token"

const minTokenLength = 32

// LoadToken returns the state directory's console access token, creating it (32 random
// bytes, hex, readable by the owner only) the first time. A token file that is not private,
// or not a token, is refused rather than replaced.
func LoadToken(stateDir string) (string, error) {
	path := filepath.Join(stateDir, TokenFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		raw := make([]byte, 32)
		if _, err := rand.Read(raw); err != nil {
			return "", err
		}
		token := hex.EncodeToString(raw)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) {
			return LoadToken(stateDir) // another process made it first
		}
		if err != nil {
			return "", fmt.Errorf("console token: %w", err)
		}
		if _, err := f.WriteString(token + "\n"); err != nil {
			f.Close()
			return "", fmt.Errorf("console token: %w", err)
		}
		if err := f.Close(); err != nil {
			return "", fmt.Errorf("console token: %w", err)
		}
		return token, nil
	}
	if err != nil {
		return "", fmt.Errorf("console token: %w", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("console token: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("console token %s is readable by others (mode %v): make it private (chmod 600) or delete it to make a new one", path, fi.Mode().Perm())
	}
	token := strings.TrimSpace(string(b))
	if len(token) < minTokenLength || strings.ContainsAny(token, " \t\r\n") {
		return "", fmt.Errorf("console token %s is damaged: delete it to make a new one", path)
	}
	return token, nil
}

// URL is the console's address on a listener at addr, with the token: what `serve` prints and
// `codepipeline console` opens. An address on every interface is shown as 127.0.0.1.
func URL(addr, token string) string {
	host, port, err := net.SplitHostPort(addr)
	if err == nil {
		if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
			host = "127.0.0.1"
		}
		addr = net.JoinHostPort(host, port)
	}
	return "http://" + addr + Prefix + "?token=" + url.QueryEscape(token)
}

// auth checks the access token. The token comes once, in the URL (?token=, as Jupyter does);
// the console then sets a session cookie derived from it and redirects to the same URL without
// it, so the token does not stay in the address bar or the history. The cookie's name is
// derived from the token too: consoles of two state directories on one host keep theirs apart
// (cookies do not tell ports apart).
type auth struct {
	token   string
	cookie  string // the cookie's name
	session string // the cookie's value
	csrf    string // the CSRF token of every form
}

func newAuth(token string) auth {
	derive := func(what string) string {
		m := hmac.New(sha256.New, []byte(token))
		m.Write([]byte(what))
		return hex.EncodeToString(m.Sum(nil))
	}
	return auth{token: token, cookie: "codepipeline_console_" + derive("cookie name")[:12], session: derive("session"), csrf: derive("csrf")}
}

// require serves h to requests with the session cookie (or the token, which sets it), and the
// login hint with 401 to the others. Every POST must also carry the CSRF token (403 otherwise).
func (a auth) require(h http.Handler, hint func(http.ResponseWriter, *http.Request)) http.Handler {
	crossOrigin := http.NewCrossOriginProtection()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if t := r.URL.Query().Get("token"); t != "" {
			if !equal(t, a.token) {
				hint(w, r)
				return
			}
			http.SetCookie(w, &http.Cookie{Name: a.cookie, Value: a.session, Path: Prefix, HttpOnly: true, SameSite: http.SameSiteStrictMode})
			q := r.URL.Query()
			q.Del("token")
			clean := *r.URL
			clean.RawQuery = q.Encode()
			http.Redirect(w, r, clean.RequestURI(), http.StatusSeeOther)
			return
		}
		c, err := r.Cookie(a.cookie)
		if err != nil || !equal(c.Value, a.session) {
			hint(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if err := crossOrigin.Check(r); err != nil {
				http.Error(w, "cross-origin request refused", http.StatusForbidden)
				return
			}
			if !equal(r.PostFormValue("csrf"), a.csrf) {
				http.Error(w, "missing or wrong CSRF token: reload the page and try again", http.StatusForbidden)
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// hostCheck refuses a Host header that names a host (not an IP address, not localhost): a page
// of another site that rebinds its name to 127.0.0.1 must not reach the console, even though it
// would need the token too.
func hostCheck(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if hh, _, err := net.SplitHostPort(host); err == nil {
			host = hh
		}
		host = strings.Trim(host, "[]")
		if net.ParseIP(host) == nil && !strings.EqualFold(host, "localhost") {
			http.Error(w, "the console answers on an IP address or localhost only", http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// contentSecurityPolicy allows the console's own scripts, styles and connections and nothing
// else: no inline script or style, no frames, no forms to elsewhere.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Cross-Origin-Resource-Policy", "same-origin")
		if !strings.HasPrefix(r.URL.Path, Prefix+"static/") {
			hd.Set("Cache-Control", "no-store")
		}
		h.ServeHTTP(w, r)
	})
}

// AddressFile is the name of the file, in a state directory, where `codepipeline serve` says
// which address its console answers on while it runs: `codepipeline console` reads it.
const AddressFile = "console-address"

// WriteAddress records addr as the address of the state directory's console; the returned
// function removes the record again (unless another serve has replaced it meanwhile).
func WriteAddress(stateDir, addr string) (remove func(), err error) {
	path := filepath.Join(stateDir, AddressFile)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(addr+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("console address: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, fmt.Errorf("console address: %w", err)
	}
	return func() {
		if b, err := os.ReadFile(path); err == nil && strings.TrimSpace(string(b)) == addr {
			_ = os.Remove(path)
		}
	}, nil
}

// ReadAddress returns the address the state directory's console answers on, as the running
// `codepipeline serve` wrote it; os.ErrNotExist when none runs.
func ReadAddress(stateDir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(stateDir, AddressFile))
	if err != nil {
		return "", err
	}
	addr := strings.TrimSpace(string(b))
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return "", fmt.Errorf("console address file %s is damaged: %w", filepath.Join(stateDir, AddressFile), err)
	}
	return addr, nil
}

package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// When a run is a failure rather than a summary of zeros:
//
//   - before anything else, GET /healthz on -url (presenced and the Node
//     peer both serve it) must answer 200 within preflightTimeout: a server
//     that is not there, or something else on that port, fails the run at
//     once (exit 1), with the reason on one line;
//   - a sockets, rooms, watch or global run in which no socket connected
//     (every dial, handshake, login or CONNECT failed) fails (exit 1) with
//     the first error of each kind and, where it tells, the server flag or
//     the load generator's flag that explains it; no summary is printed;
//   - a sockets run in which some but not all connected is measured, with a
//     warning on stderr naming the first errors (the scoped modes fail it,
//     as before: they need every socket in scope);
//   - an http run with no successful login, or no successful GET, fails.

var (
	errUnreachable = errors.New("cannot reach the server")
	errNoSocket    = errors.New("no socket connected")
)

// preflightTimeout bounds the pre-flight GET /healthz.
const preflightTimeout = 5 * time.Second

// preflight checks that -url answers GET /healthz with 200.
func preflight(ctx context.Context, cfg *config) error {
	ctx, cancel := context.WithTimeout(ctx, preflightTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, cfg.URL+"/healthz", nil)
	if err != nil {
		return err
	}
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("no answer to GET /healthz within %v", preflightTimeout)
		}
		return fmt.Errorf("%w at %s: %v (is it running, and listening on that address and port?)", errUnreachable, cfg.URL, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w at %s: GET /healthz answered %s; is that a presenced server (or its Node peer), and -url its base URL?", errUnreachable, cfg.URL, resp.Status)
	}
	return nil
}

// connectErrorText is a CONNECT_ERROR's data as the reason of a refusal:
// `invalid token (invalid_token)`.
func connectErrorText(data []byte) string {
	msg, _ := stringField(data, "message")
	code := ""
	if d := topField(data, "data"); len(d) > 0 {
		code, _ = stringField(d, "code")
	}
	switch {
	case msg == "" && code == "":
		return "CONNECT_ERROR " + oneLine(string(data))
	case code == "":
		return msg
	}
	return fmt.Sprintf("%s (%s)", msg, code)
}

// connectFailures describes why sockets did not connect: the count and the
// first error of each kind, then what to change when the errors tell.
func (r *runner) connectFailures() string {
	type kind struct {
		key, label string
		n          uint64
	}
	kinds := []kind{
		{"login", "HTTP logins failed", r.st.loginErrors.Load()},
		{"connect", "dials or handshakes failed", r.st.connectErrors.Load()},
		{"connect_refused", "CONNECTs refused", r.st.refused.Load()},
	}
	var parts []string
	for _, k := range kinds {
		if k.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s (first: %s)", k.n, k.label, oneLine(r.st.first(k.key))))
		}
	}
	if len(parts) == 0 {
		parts = append(parts, "no error recorded (the connect phase ran out of time: see -connect-timeout)")
	}
	out := strings.Join(parts, "; ")
	if h := r.connectHint(); h != "" {
		out += "; " + h
	}
	return out
}

// connectHint is the flag to change, when the first errors name a cause.
func (r *runner) connectHint() string {
	refused, connect, login := r.st.first("connect_refused"), r.st.first("connect"), r.st.first("login")
	switch {
	case strings.Contains(refused, "invalid_token") || strings.Contains(refused, "token_expired"):
		h := "the tokens are not this server's"
		if r.seed != nil && r.seed.URL != "" && r.seed.URL != r.cfg.URL {
			h += fmt.Sprintf(" (the seed file was written for %s)", r.seed.URL)
		}
		return h + ": seed again with -mode seed, or leave out -tokens to register users first"
	case strings.Contains(refused, "too_many_connections"):
		return "the server limits sockets per user or per address: start it with -max-conns-per-user 0 -max-conns-per-ip 0, or spread the sockets over more -users"
	case strings.Contains(connect, " 429 "):
		return "the server limits sessions per client address: start it with -max-conns-per-ip 0, or spread the sockets over more source addresses with a lower -per-src"
	case strings.Contains(connect, errBadHandshake.Error()):
		return fmt.Sprintf("is -path %q the server's Socket.IO path?", r.cfg.Path)
	case strings.Contains(login, "/api-token-auth/"):
		return "the seed file's users do not log in on this server: seed again with -mode seed, or leave out -tokens"
	}
	return ""
}

// noSocket is the error of a run in which no socket connected.
func (r *runner) noSocket(tried int) error {
	return fmt.Errorf("%w (of %d tried): %s", errNoSocket, tried, r.connectFailures())
}

// oneLine folds a message onto one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

package main

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
)

// A run against a server it cannot reach, or one that refuses every
// socket, is a failure: exit 1, one line on stderr saying why, and no
// summary of zeros on stdout.

func runCapture(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// wantOneLineFailure checks exit 1, nothing on stdout, and a single
// stderr line holding every want.
func wantOneLineFailure(t *testing.T, code int, stdout, stderr string, want ...string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	if code != 1 || stdout != "" || len(lines) != 1 {
		t.Fatalf("exit %d, stdout %q, stderr %d lines:\n%s", code, stdout, len(lines), stderr)
	}
	for _, w := range want {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr lacks %q: %s", w, stderr)
		}
	}
}

// closedPort is a loopback URL on which nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close()
	return url
}

// badSeed writes a seed file of n users whose tokens and passwords no
// server issued.
func badSeed(t *testing.T, n int) string {
	t.Helper()
	s := &seedFile{URL: "http://127.0.0.1:9"}
	for i := range n {
		s.Users = append(s.Users, seedUser{ID: int64(i + 1), Username: "nobody" + string(rune('a'+i)), Password: "Not-a-password-1", Token: "not.a.token"})
	}
	path := filepath.Join(t.TempDir(), "bad.json")
	if err := writeSeed(path, s); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestUnreachableServerFails(t *testing.T) {
	url := closedPort(t)
	seed := badSeed(t, 3)
	for _, args := range [][]string{
		{"-tokens", seed, "-n", "3"},
		{"-mode", "rooms", "-tokens", seed, "-n", "3", "-room-size", "3"},
		{"-mode", "global", "-tokens", seed, "-n", "3"},
		{"-mode", "seed", "-tokens", filepath.Join(t.TempDir(), "out.json"), "-users", "2"},
		{"-mode", "http", "-duration", "1s"},
	} {
		t.Run(strings.Join(args[:2], " "), func(t *testing.T) {
			code, stdout, stderr := runCapture(append(args, "-url", url, "-progress", "0", "-json")...)
			wantOneLineFailure(t, code, stdout, stderr, "cannot reach the server at "+url, "connection refused")
		})
	}
}

// Something else on the port: the pre-flight GET /healthz is not 200.
func TestNotPresencedFails(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	code, stdout, stderr := runCapture("-url", srv.URL, "-tokens", badSeed(t, 1), "-n", "1", "-progress", "0")
	wantOneLineFailure(t, code, stdout, stderr, "GET /healthz answered 404 Not Found")
}

func TestServerRefusingEverySocketFails(t *testing.T) {
	url, _ := startPresenced(t, "-ping-interval", "1s")
	seed := badSeed(t, 4)
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"tokens of another server", []string{"-tokens", seed, "-n", "4"},
			[]string{"no socket connected (of 4 tried)", "4 CONNECTs refused (first: invalid token (invalid_token))", "the tokens are not this server's (the seed file was written for http://127.0.0.1:9)"}},
		{"rooms: the probe socket refused", []string{"-mode", "rooms", "-tokens", seed, "-n", "4", "-room-size", "4"},
			[]string{"probe: the first socket did not connect", "CONNECTs refused"}},
		{"global: every socket refused", []string{"-mode", "global", "-tokens", seed, "-n", "4"},
			[]string{"no socket connected (of 4 tried)", "invalid_token"}},
		{"a path that is no Socket.IO endpoint", []string{"-tokens", seed, "-n", "4", "-path", "/nope/"},
			[]string{"4 dials or handshakes failed (first: websocket handshake refused", `is -path "/nope/" the server's Socket.IO path?`}},
		{"every login refused", []string{"-tokens", seed, "-n", "4", "-login"},
			[]string{"4 HTTP logins failed (first: POST /api-token-auth/: 400 Bad Request", "do not log in on this server"}},
		{"http mode: every GET refused", []string{"-mode", "http", "-duration", "300ms", "-get-path", "/api/nope/"},
			[]string{"no GET /api/nope/ succeeded", "HTTP 404"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCapture(append(tt.args, "-url", url, "-progress", "0", "-json", "-duration", "1s", "-warmup", "0s")...)
			wantOneLineFailure(t, code, stdout, stderr, tt.want...)
		})
	}
}

// Some sockets refused, some connected: sockets mode measures what
// connected and warns with the reasons; it is not a failure.
func TestSomeSocketsRefusedWarns(t *testing.T) {
	url, _ := startPresenced(t, "-ping-interval", "200ms", "-max-conns-per-user", "2")
	seedPath := filepath.Join(t.TempDir(), "seed.json")
	if code, _, stderr := runCapture("-mode", "seed", "-url", url, "-users", "1", "-tokens", seedPath); code != 0 {
		t.Fatalf("seed: exit %d: %s", code, stderr)
	}
	code, stdout, stderr := runCapture("-url", url, "-tokens", seedPath, "-n", "4", "-inflight", "1", "-warmup", "0s", "-duration", "500ms", "-progress", "0", "-json")
	var rep report
	if code != 0 || json.Unmarshal([]byte(stdout), &rep) != nil || rep.Connect.Connected != 2 {
		t.Fatalf("exit %d, connected %d:\n%s", code, rep.Connect.Connected, stderr)
	}
	if !strings.Contains(stderr, "warning: only 2 of 4 sockets connected: 2 CONNECTs refused (first: too many connections (too_many_connections))") ||
		!strings.Contains(stderr, "-max-conns-per-user 0") {
		t.Errorf("stderr: %s", stderr)
	}
}

func TestConnectErrorText(t *testing.T) {
	for in, want := range map[string]string{
		`{"message":"invalid token","data":{"code":"invalid_token"}}`: "invalid token (invalid_token)",
		`{"message":"Invalid namespace"}`:                             "Invalid namespace",
		`"odd"`:                                                       `CONNECT_ERROR "odd"`,
	} {
		if got := connectErrorText([]byte(in)); got != want {
			t.Errorf("%s: %q, want %q", in, got, want)
		}
	}
}

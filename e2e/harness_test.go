package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/presenced/presenced/internal/testnode"
)

var binary string // built once by TestMain

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "presenced-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "presenced")
	args := []string{"build", "-o", binary}
	if raceEnabled {
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, "../cmd/presenced")...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: building presenced:", err)
		os.Exit(1)
	}
	if _, err := os.Stat("node_modules/socket.io-client"); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: node_modules missing: run `npm ci --prefix e2e` (make test does)")
		os.Exit(1)
	}
	code := m.Run()
	if code == 0 {
		code = checkLogsHoldNoSecrets()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// allLogs gathers every server's log of the run (at debug level), to be searched for
// secrets once all tests have run.
var allLogs struct {
	sync.Mutex
	b strings.Builder
}

// secretMarks are what must never appear in a log: the password every test account
// uses, and a JWT — a word that starts with eyJ ({"… base64-encoded) and goes on to
// the dot after its header. A bare "eyJ" inside a random id (a conn_id ending in
// …jeyJ) is no token.
var secretMarks = []*regexp.Regexp{
	regexp.MustCompile(`correct horse battery`),
	regexp.MustCompile(`(^|[^A-Za-z0-9_-])eyJ[A-Za-z0-9_-]+\.`),
}

func checkLogsHoldNoSecrets() int {
	allLogs.Lock()
	defer allLogs.Unlock()
	logs := allLogs.b.String()
	if len(logs) == 0 {
		return 0
	}
	for _, mark := range secretMarks {
		if loc := mark.FindStringIndex(logs); loc != nil {
			i := loc[0]
			start := max(0, strings.LastIndexByte(logs[:i], '\n'))
			end := i + strings.IndexByte(logs[i:]+"\n", '\n')
			fmt.Fprintf(os.Stderr, "FAIL: a server log holds a secret (%s):\n%s\n", mark, logs[start:end])
			return 1
		}
	}
	fmt.Fprintf(os.Stderr, "e2e: %d bytes of server logs hold no password and no token\n", len(logs))
	return 0
}

// server is one running presenced process.
type server struct {
	t   *testing.T
	cmd *exec.Cmd
	URL string
	// MetricsURL serves /metrics when the test gave -metrics-addr; empty: URL.
	MetricsURL string
	logs       *lockedBuffer
	done       chan error
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var listening = regexp.MustCompile(`presenced listening.*addr=(\S+)`)

// startServer runs the binary with the given flags on 127.0.0.1:0 and a fresh SQLite
// database (unless -db is among the flags), and waits until it listens.
func startServer(t *testing.T, flags ...string) *server {
	t.Helper()
	return startServerCmd(t, nil, flags...)
}

// startServerCmd is startServer with the binary run through a wrapper command (e.g.
// a shell that lowers the descriptor limit first); nil runs it directly.
func startServerCmd(t *testing.T, wrapper []string, flags ...string) *server {
	t.Helper()
	args := []string{"-addr", "127.0.0.1:0", "-log-level", "debug", "-bcrypt-cost", "4"}
	// Tests register many users from one address; the limit itself is tested with its flag.
	if !hasFlag(flags, "-register-rate") {
		args = append(args, "-register-rate", "0")
	}
	if !hasFlag(flags, "-db") {
		args = append(args, "-db", "sqlite://"+filepath.Join(t.TempDir(), "p.db"))
	}
	args = append(args, flags...)
	s := &server{t: t, logs: &lockedBuffer{}, done: make(chan error, 1)}
	argv := append(append(append([]string{}, wrapper...), binary), args...)
	s.cmd = exec.Command(argv[0], argv[1:]...)
	s.cmd.Env = append(os.Environ(), "PRESENCED_ADDR=") // the environment must not change the test's flags
	pr, pw := io.Pipe()
	s.cmd.Stderr = io.MultiWriter(s.logs, pw)
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.done <- s.cmd.Wait(); pw.Close() }()
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
	}()
	select {
	case a := <-addr:
		s.URL = "http://" + a
	case err := <-s.done:
		t.Fatalf("presenced exited at start: %v\n%s", err, s.logs)
	case <-time.After(30 * time.Second):
		t.Fatalf("presenced did not listen within 30s\n%s", s.logs)
	}
	t.Cleanup(func() {
		s.stop(syscall.SIGTERM)
		allLogs.Lock()
		allLogs.b.WriteString(s.logs.String())
		allLogs.Unlock()
		if t.Failed() {
			t.Logf("server log:\n%s", s.logs)
		}
	})
	return s
}

func hasFlag(flags []string, name string) bool {
	for _, f := range flags {
		if f == name || strings.HasPrefix(f, name+"=") {
			return true
		}
	}
	return false
}

// stop signals the process and waits for it; it returns the exit error (nil: status 0).
func (s *server) stop(sig syscall.Signal) error {
	select {
	case err := <-s.done: // already exited (killed, or stopped before)
		s.done <- err
		return err
	default:
	}
	_ = s.cmd.Process.Signal(sig)
	select {
	case err := <-s.done:
		s.done <- err
		return err
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Kill()
		s.t.Errorf("presenced did not stop within 20s of %v", sig)
		return <-s.done
	}
}

// api calls the HTTP API and decodes a JSON answer into out (if not nil).
func (s *server) api(method, path, token string, body any, out any) int {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequestWithContext(context.Background(), method, s.URL+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Token "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			s.t.Fatalf("%s %s: %d %q: %v", method, path, res.StatusCode, b, err)
		}
	}
	return res.StatusCode
}

type account struct {
	ID       int64
	Username string
	Token    string
}

// register makes a fresh account.
func (s *server) register(name string) account {
	s.t.Helper()
	var out struct {
		User  struct{ ID int64 } `json:"user"`
		Token string             `json:"token"`
	}
	if st := s.api("POST", "/api/register/", "", map[string]string{
		"username": name, "email": name + "@example.org", "password": "correct horse battery",
	}, &out); st != 201 {
		s.t.Fatalf("register %s: %d", name, st)
	}
	return account{ID: out.User.ID, Username: name, Token: out.Token}
}

// node runs a script of this folder with the given environment and fails the test
// with the script's output unless it exits 0.
func node(t *testing.T, timeout time.Duration, script string, env ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, testnode.Path(t), script)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node %s: %v\n%s", script, err, out)
	}
	return string(out)
}

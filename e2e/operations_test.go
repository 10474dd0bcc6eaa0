package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/presenced/presenced/internal/testnode"
	"github.com/presenced/presenced/persistence"
)

// runScript runs a node script of this folder, answering its ASK lines with answer.
func runScript(t *testing.T, timeout time.Duration, script string, answer func(what string) string, env ...string) string {
	t.Helper()
	cmd := exec.Command(testnode.Path(t), script)
	cmd.Env = append(os.Environ(), env...)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(timeout, func() { _ = cmd.Process.Kill() })
	defer timer.Stop()
	var out strings.Builder
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		out.WriteString(line + "\n")
		if what, ok := strings.CutPrefix(line, "ASK "); ok {
			io.WriteString(stdin, "DONE "+what+" "+answer(what)+"\n")
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%s: %v\n%s", script, err, out.String())
	}
	return out.String()
}

// metric reads one sample of /metrics, e.g. `presenced_connections{state="bound"}`.
func (s *server) metric(name string) float64 {
	s.t.Helper()
	base := s.URL
	if s.MetricsURL != "" {
		base = s.MetricsURL
	}
	res, err := http.Get(base + "/metrics")
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` (\S+)$`)
	m := re.FindSubmatch(b)
	if m == nil {
		s.t.Fatalf("no %s in /metrics", name)
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	return v
}

// until polls cond for up to d and reports whether it became true.
func until(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return cond()
}

// TestMetricsFollowLoad connects and closes real sockets and reads /metrics.
func TestMetricsFollowLoad(t *testing.T) {
	s := startServer(t, "-ping-interval", "200ms")
	var tokens []string
	for _, n := range []string{"m1", "m2", "m3"} {
		tokens = append(tokens, s.register(n).Token)
	}
	tj, _ := json.Marshal(tokens)
	const n = 20
	pongs := 0.0
	runScript(t, time.Minute, "hold.js", func(what string) string {
		switch what {
		case "connected":
			ok := until(3*time.Second, func() bool {
				return s.metric(`presenced_connections{state="bound"}`) == n &&
					s.metric(`presenced_actors{kind="conn"}`) == n &&
					s.metric(`presenced_users_online`) == 3 &&
					s.metric(`presenced_socketio_sessions{transport="websocket"}`) == n
			})
			pongs = s.metric("presenced_pongs_total")
			if !ok || pongs == 0 {
				return "bad"
			}
		case "half-closed":
			ok := until(3*time.Second, func() bool {
				return s.metric(`presenced_connections{state="bound"}`) == n/2 &&
					s.metric(`presenced_actors{kind="conn"}`) == n/2 &&
					s.metric("presenced_pongs_total") > pongs
			})
			if !ok {
				return "bad"
			}
		}
		return "ok"
	}, "URL="+s.URL, "TOKENS="+string(tj), "N="+strconv.Itoa(n), "MODE=metrics")
}

// TestShutdownUnderLoad sends SIGTERM while sockets are bound and pongs flow: the
// process exits 0 after closing every socket with a reason, nothing stored is lost, and
// after a restart no user is left marked online.
func TestShutdownUnderLoad(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite://" + filepath.Join(dir, "p.db")
	s := startServer(t, "-db", db, "-ping-interval", "200ms")
	var tokens []string
	names := []string{"s1", "s2", "s3", "s4"}
	for _, n := range names {
		tokens = append(tokens, s.register(n).Token)
	}
	tj, _ := json.Marshal(tokens)
	var exitErr error
	runScript(t, time.Minute, "hold.js", func(what string) string {
		switch what {
		case "sigterm":
			exitErr = s.stop(syscall.SIGTERM)
		}
		return "ok"
	}, "URL="+s.URL, "TOKENS="+string(tj), "N=40", "MODE=shutdown")
	if exitErr != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", exitErr, s.logs)
	}
	if !strings.Contains(s.logs.String(), "msg=stopped") {
		t.Fatalf("no orderly stop in the log:\n%s", s.logs)
	}

	store, err := persistence.Open(context.Background(), db, nil)
	if err != nil {
		t.Fatal(err)
	}
	users, total, err := store.ListUsers(context.Background(), 0, 100)
	store.Close()
	if err != nil || total != len(names) {
		t.Fatalf("after shutdown: %d users, %v", total, err)
	}
	for _, u := range users {
		if u.IsOnline {
			t.Fatalf("%s left marked online in the database", u.Username)
		}
		if u.LastSeen == nil {
			t.Fatalf("%s has no last_seen after going offline", u.Username)
		}
	}
	// A restart on the same database: every account still logs in.
	s2 := startServer(t, "-db", db)
	for _, n := range names {
		if st := s2.api("POST", "/api-token-auth/", "", map[string]string{"username": n, "password": "correct horse battery"}, nil); st != 200 {
			t.Fatalf("login of %s after restart: %d", n, st)
		}
	}
}

package ws

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/presenced/presenced/internal/testnode"
)

// nodeModules locates the e2e folder's node_modules with socket.io-client,
// failing with the fix when it is missing.
func nodeModules(t *testing.T) string {
	t.Helper()
	testnode.Path(t) // fails with how to get the pinned Node when there is none
	dir, err := filepath.Abs(filepath.Join("..", "e2e", "node_modules"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "socket.io-client", "package.json")); err != nil {
		t.Fatalf("socket.io-client not found in %s: run `npm ci --prefix e2e` in the repository root", dir)
	}
	return dir
}

// runNode runs testdata/client.js <scenario> against e and checks that it
// exits 0 and printed every wanted "OK …" line. With debug, the client's
// DEBUG=engine*,socket.io* trace is printed when it fails.
func runNode(t *testing.T, e *testEnv, scenario string, env map[string]string, debug bool, want ...string) {
	t.Helper()
	mods := nodeModules(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, testnode.Path(t), filepath.Join("testdata", "client.js"), scenario)
	cmd.Env = append(os.Environ(), "NODE_PATH="+mods, "URL=http://"+e.addr)
	if debug {
		cmd.Env = append(cmd.Env, "DEBUG=engine*,socket.io*")
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	out := stdout.String()
	missing := []string{}
	for _, w := range want {
		if !strings.Contains(out, "OK "+w+"\n") {
			missing = append(missing, w)
		}
	}
	t.Logf("node %s stdout:\n%s", scenario, out)
	if err != nil || len(missing) > 0 {
		trace := stderr.String()
		if len(trace) > 200_000 {
			trace = "…" + trace[len(trace)-200_000:]
		}
		t.Fatalf("node %s %v: %v, missing %q\nstdout:\n%s\nstderr:\n%s\nserver stats: %+v",
			scenario, env, err, missing, out, trace, e.srv.Stats())
	}
}

func TestNodeClient(t *testing.T) {
	nodeModules(t)
	cases := []struct {
		name, path, transports string
		want                   []string
	}{
		{"default/socket.io", "/socket.io/", "", []string{"transport websocket"}},
		{"default/websocket", "/websocket/", "", []string{"transport websocket"}},
		{"websocket-only", "/socket.io/", "websocket", []string{"connect websocket", "transport websocket"}},
		{"websocket-only/websocket", "/websocket/", "websocket", []string{"connect websocket"}},
		{"polling-only", "/socket.io/", "polling", []string{"connect polling", "transport polling"}},
		{"polling-only/websocket", "/websocket/", "polling", []string{"connect polling"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := startServer(t, testConfig())
			want := append(tc.want, "ack client->server", "ack server->client", "heartbeat", "reconnect", "server disconnect")
			runNode(t, e, "basic", map[string]string{"WSPATH": tc.path, "TRANSPORTS": tc.transports}, true, want...)
			if tc.transports == "" && e.srv.Stats().Upgrades == 0 {
				t.Errorf("no upgrade counted: %+v", e.srv.Stats())
			}
		})
	}
}

func TestNodeAuthRefused(t *testing.T) {
	for _, tr := range []string{"", "websocket", "polling"} {
		t.Run("transports="+tr, func(t *testing.T) {
			t.Parallel()
			e := startServer(t, testConfig())
			runNode(t, e, "authfail", map[string]string{"TRANSPORTS": tr}, true, "auth refused", "retry with good token")
			// One handshake for the refused attempt, one for the retry: no retry storm.
			if st := e.srv.Stats(); st.Handshakes != 2 || st.ConnectsRefused != 1 {
				t.Fatalf("handshakes %d (want 2), refused %d (want 1)", st.Handshakes, st.ConnectsRefused)
			}
		})
	}
}

func TestNodeUnknownNamespace(t *testing.T) {
	e := startServer(t, testConfig())
	runNode(t, e, "namespace", nil, true, "invalid namespace", "root still works")
}

func TestNodeManyBroadcast(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 clients")
	}
	cfg := testConfig()
	// One Node process running 1,000 clients lags by seconds during the
	// connect storm (measured: >6 s between a polling handshake and the
	// client's next request), so the heartbeat gets reference-like slack.
	cfg.PingInterval, cfg.PingTimeout = 2*time.Second, 15*time.Second
	cfg.ConnectTimeout = 30 * time.Second
	cfg.UpgradeTimeout = 10 * time.Second // the reference default; a saturated Node process needs it
	e := startServer(t, cfg)
	runNode(t, e, "many", map[string]string{"N": "1000"}, false, "connected 1000", "broadcast received 1000")
	st := e.srv.Stats()
	t.Logf("stats after 1,000 clients: %+v", st)
	if st.Handshakes != 1000 || st.PingTimeouts != 0 || st.SlowConsumers != 0 {
		t.Errorf("churn: handshakes %d, ping timeouts %d, slow consumers %d", st.Handshakes, st.PingTimeouts, st.SlowConsumers)
	}
	waitFor(t, 10*time.Second, "all sessions closed", func() bool {
		st := e.srv.Stats()
		return st.SessionsPolling == 0 && st.SessionsWebsocket == 0
	})
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The real server, built from this repository, driven on loopback by a short
// run: 50 bound sockets, a fast sweep, two tab-close probes.

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// TestMain removes the folder of the server built for the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

func serverBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "presenced-load-test-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "presenced")
		out, err := exec.Command("go", "build", "-o", binPath, "../presenced").CombinedOutput()
		if err != nil {
			buildErr = err
			t.Logf("go build: %s", out)
		}
	})
	if buildErr != nil {
		t.Fatalf("building presenced: %v", buildErr)
	}
	return binPath
}

var listeningRE = regexp.MustCompile(`presenced listening.*addr=(\S+)`)

// startPresenced runs the server on 127.0.0.1:0 and returns its URL and pid.
func startPresenced(t *testing.T, flags ...string) (string, int) {
	t.Helper()
	dir := t.TempDir()
	args := append([]string{"-addr", "127.0.0.1:0", "-db", "sqlite://" + filepath.Join(dir, "p.db"), "-bcrypt-cost", "4", "-register-rate", "0", "-max-conns-per-ip", "0", "-max-conns-per-user", "0"}, flags...)
	cmd := exec.Command(serverBinary(t), args...)
	var logs syncBuffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := listeningRE.FindStringSubmatch(logs.String()); m != nil {
			return "http://" + m[1], cmd.Process.Pid
		}
	}
	t.Fatalf("presenced did not start:\n%s", logs.String())
	return "", 0
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func runLoad(t *testing.T, args ...string) *report {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run(append(args, "-json", "-progress", "0"), &stdout, &stderr); code != 0 {
		t.Fatalf("presenced-load %v: exit %d\n%s", args, code, stderr.String())
	}
	var rep report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("report: %v\n%s", err, stdout.String())
	}
	return &rep
}

func TestLoadAgainstRealServer(t *testing.T) {
	url, pid := startPresenced(t, "-ping-interval", "100ms", "-offline-grace", "1ms")
	seedPath := filepath.Join(t.TempDir(), "seed.json")
	var stderr bytes.Buffer
	if code := run([]string{"-mode", "seed", "-url", url, "-users", "10", "-probes", "2", "-tokens", seedPath}, &bytes.Buffer{}, &stderr); code != 0 {
		t.Fatalf("seed: exit %d: %s", code, stderr.String())
	}
	rep := runLoad(t, "-url", url, "-tokens", seedPath, "-pid", strconv.Itoa(pid), "-n", "50", "-probes", "2",
		"-warmup", "500ms", "-duration", "3s", "-inflight", "10")
	w := rep.Window
	switch {
	case rep.Connect.Connected != 52 || !rep.Settled:
		t.Fatalf("connected %d, settled %v", rep.Connect.Connected, rep.Settled)
	case w == nil || w.PongsPerSec < 50*5: // 50 sockets, 10 pings/s each, with room for a slow CI
		t.Fatalf("window %+v", w)
	case w.Fanout.Count == 0 || w.Fanout.P99 <= 0:
		t.Fatalf("no fan-out latency recorded: %+v", w.Fanout)
	case w.TabClose.Count != 2:
		t.Fatalf("tab close: %+v (timeouts %d)", w.TabClose, w.TabCloseTimeouts)
	case w.ServerPongsPerSec <= 0 || w.ServerCPUMicrosPerPong <= 0 || rep.ServerRSSKB <= 0:
		t.Fatalf("server figures missing: %+v, RSS %d", w, rep.ServerRSSKB)
	case rep.ErrorTotal != 0:
		t.Fatalf("errors: %v", rep.Errors)
	}
	t.Logf("pongs/s %.0f, fan-out p99 %.1fms, tab close p99 %.1fms, %.1f µs per pong",
		w.PongsPerSec, w.Fanout.P99, w.TabClose.P99, w.ServerCPUMicrosPerPong)
}

// -duration is the window measured: it opens after connect, settle and
// -warmup, lasts -duration, and the rates are over it.
func TestDurationIsTheWindow(t *testing.T) {
	url, pid := startPresenced(t, "-ping-interval", "100ms")
	seedPath := filepath.Join(t.TempDir(), "seed.json")
	if code := run([]string{"-mode", "seed", "-url", url, "-users", "10", "-tokens", seedPath}, &bytes.Buffer{}, &bytes.Buffer{}); code != 0 {
		t.Fatal("seed failed")
	}
	t0 := time.Now()
	rep := runLoad(t, "-url", url, "-tokens", seedPath, "-pid", strconv.Itoa(pid), "-n", "10", "-warmup", "1s", "-duration", "2s")
	wall := time.Since(t0).Seconds()
	w := rep.Window
	switch {
	case w.Seconds < 2 || w.Seconds > 2.3:
		t.Errorf("window %.3fs, want -duration 2s", w.Seconds)
	case w.WarmupS != 1 || w.StartS < rep.SettleSeconds+1:
		t.Errorf("window opened %.3fs after the connect began, settled at %.3fs, warm-up %.1fs: want it after both", w.StartS, rep.SettleSeconds, w.WarmupS)
	case wall < w.StartS+w.Seconds:
		t.Errorf("run took %.3fs, less than its window's end %.3fs", wall, w.StartS+w.Seconds)
	case w.PongsPerSec < 10*10*0.6 || w.PongsPerSec > 10*10*1.3 || w.ServerPongsPerSec < 10*10*0.6: // 10 sockets, 10 pings/s each
		t.Errorf("pongs/s %.1f (server counted %.1f): want about 100 over the window", w.PongsPerSec, w.ServerPongsPerSec)
	}
	var text bytes.Buffer
	rep.writeText(&text)
	if !strings.Contains(text.String(), "rates are over the window") {
		t.Errorf("text report does not say what the window is:\n%s", text.String())
	}
}

// Pongs that answer the server's own pings are never rate-limited, however
// fast the sweep: every answer asks for an ack, and every ack is ok.
func TestAnswersAreNeverRateLimited(t *testing.T) {
	url, pid := startPresenced(t, "-ping-interval", "10ms")
	seedPath := filepath.Join(t.TempDir(), "seed.json")
	if code := run([]string{"-mode", "seed", "-url", url, "-users", "4", "-tokens", seedPath}, &bytes.Buffer{}, &bytes.Buffer{}); code != 0 {
		t.Fatal("seed failed")
	}
	rep := runLoad(t, "-url", url, "-tokens", seedPath, "-pid", strconv.Itoa(pid), "-n", "8",
		"-warmup", "500ms", "-duration", "3s", "-ack-pongs")
	if rep.Window.PongsPerSec < 8*20 || rep.Errors["answer_rate_limited"] != 0 || rep.Errors["rate_limited"] != 0 {
		t.Fatalf("pongs/s %.0f, errors %v", rep.Window.PongsPerSec, rep.Errors)
	}
}

// Unsolicited pongs beyond the bucket are refused.
func TestHammerIsRateLimited(t *testing.T) {
	url, pid := startPresenced(t, "-ping-interval", "1s")
	seedPath := filepath.Join(t.TempDir(), "seed.json")
	if code := run([]string{"-mode", "seed", "-url", url, "-users", "2", "-tokens", seedPath}, &bytes.Buffer{}, &bytes.Buffer{}); code != 0 {
		t.Fatal("seed failed")
	}
	rep := runLoad(t, "-url", url, "-tokens", seedPath, "-pid", strconv.Itoa(pid), "-n", "2",
		"-warmup", "2500ms", "-duration", "2s", "-hammer", "100")
	if rep.Window.HammerPerSec < 100 || rep.Window.RateLimited == 0 {
		t.Fatalf("hammer %.0f/s, rate limited %d: want the bucket to refuse some", rep.Window.HammerPerSec, rep.Window.RateLimited)
	}
}

func TestRunRefusesNonLoopback(t *testing.T) {
	var stderr bytes.Buffer
	if code := run([]string{"-url", "http://192.0.2.1:80", "-tokens", "x"}, &bytes.Buffer{}, &stderr); code != 2 ||
		!strings.Contains(stderr.String(), "loopback") {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	_ = context.Background
}

// The scoped modes against the real binary, a couple of seconds each. The
// rooms and watch modes need the server side of "Rooms and watchlists": on a
// server that answers presence:join (or presence:watch) with "unknown event"
// they skip, saying so. The global mode (the baseline) runs on any server.
func TestScopedModesAgainstRealServer(t *testing.T) {
	url, pid := startPresenced(t, "-ping-interval", "1s", "-offline-grace", "1ms", "-max-conns", "0")
	seedPath := filepath.Join(t.TempDir(), "seed.json")
	var stderr bytes.Buffer
	if code := run([]string{"-mode", "seed", "-url", url, "-users", "40", "-tokens", seedPath}, &bytes.Buffer{}, &stderr); code != 0 {
		t.Fatalf("seed: exit %d: %s", code, stderr.String())
	}
	common := []string{"-url", url, "-tokens", seedPath, "-pid", strconv.Itoa(pid), "-inflight", "10",
		"-idle", "500ms", "-warmup", "500ms", "-duration", "2s", "-churn-hold", "200ms"}
	tests := []struct {
		name  string
		args  []string
		check func(*scopedWindow) string
	}{
		{"rooms of 10, list mode", []string{"-mode", "rooms", "-n", "40", "-room-size", "10", "-churn", "4"}, func(w *scopedWindow) string {
			if w.JoinNotified == 0 || w.JoinCoverage < 0.9 || w.Acks["join"].Latency.Count == 0 || w.Traffic.ByKind["presence:update"].Frames == 0 {
				return "no timed room notifications or join acks"
			}
			return ""
		}},
		{"one room, count mode", []string{"-mode", "rooms", "-n", "40", "-room-size", "0", "-room-mode", "count", "-churn", "4"}, func(w *scopedWindow) string {
			if w.Count == nil || w.Count.Frames == 0 || w.Count.MaxRatePerMember > 1.05 {
				return "count mode: no frames, or more than one a second to a member"
			}
			return ""
		}},
		{"watch 10", []string{"-mode", "watch", "-n", "40", "-watch", "10", "-churn", "4"}, func(w *scopedWindow) string {
			if w.JoinNotified == 0 || w.LeaveNotified == 0 || w.Traffic.ByKind["presence:watch_update"].Frames == 0 {
				return "no timed watch updates"
			}
			return ""
		}},
		{"global list (baseline)", []string{"-mode", "global", "-n", "40", "-churn", "4"}, func(w *scopedWindow) string {
			if w.JoinNotified == 0 || w.JoinCoverage < 0.9 || w.Traffic.ByKind["server-action:update_user_online"].Frames == 0 {
				return "no timed update_user_online notifications"
			}
			return ""
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, rep, stderr := runLoadExit(append(tt.args, common...)...)
			if code == exitUnsupported {
				t.Skipf("the server does not implement rooms and watchlists yet (it answered with \"unknown event\"); "+
					"this test passes once the server side is merged:\n%s", stderr)
			}
			if code != 0 || rep == nil || rep.Scoped == nil || rep.Scoped.Window == nil {
				t.Fatalf("exit %d:\n%s", code, stderr)
			}
			w := rep.Scoped.Window
			if msg := tt.check(w); msg != "" || w.Changes == 0 || w.CPUPerChangeUS <= 0 || w.BytesPerSocketSec <= 0 {
				t.Fatalf("%s; window %+v", msg, w)
			}
			t.Logf("%.0f B and %.2f frames per socket per second, %.0f µs server CPU per change, join→notified p99 %.1f ms, coverage joins %.3f leaves %.3f",
				w.BytesPerSocketSec, w.FramesPerSocketSec, w.CPUPerChangeUS, w.JoinNotify.P99, w.JoinCoverage, w.LeaveCoverage)
		})
	}
}

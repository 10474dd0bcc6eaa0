package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Every field of the progress line is name=value: no bare numbers.
var progressFieldRE = regexp.MustCompile(`^[a-z_/0-9]+=\S+$`)

func checkLabelled(t *testing.T, line string, want ...string) {
	t.Helper()
	for _, f := range strings.Fields(line) {
		if !progressFieldRE.MatchString(f) {
			t.Errorf("unlabelled field %q in %q", f, line)
		}
	}
	for _, w := range want {
		if !strings.Contains(line, w) {
			t.Errorf("line lacks %q: %q", w, line)
		}
	}
}

func TestProgressLine(t *testing.T) {
	cfg := &config{Mode: modeSockets, N: 10, Probes: 2, Duration: 5 * time.Second}
	r := &runner{cfg: cfg}
	r.phase.Store("window")
	r.st.open.Store(11)
	r.st.connected.Store(12)
	r.st.connectErrors.Store(2)
	r.st.refused.Store(1)
	now := time.Now()
	r.windowAt.Store(now.Add(-1500 * time.Millisecond).UnixNano())
	r.measuring.Store(true)
	prev, cur := snapshot{pings: 10, pongs: 10, updates: 1}, snapshot{pings: 30, pongs: 29, updates: 5}
	line := r.progressLine(prev, cur, 2, now)
	checkLabelled(t, line, "phase=window", "window=1.5s/5s", "open=11/12", "connected=12", "pings/s=10.0", "pongs/s=9.50",
		"updates/s=2.00", "errors=3(connect=2,connect_refused=1)", "fanout_p99=")

	cfg.Mode = modeRooms
	r.conns = []*sioConn{{}, {}, {}}
	r.conns[1].inScope.Store(true)
	r.scope = &scopedState{}
	r.scope.changes.Store(7)
	r.measuring.Store(false)
	r.phase.Store("drain")
	line = r.progressLine(cur, cur, 1, now)
	checkLabelled(t, line, "phase=drain", "in_scope=1/3", "window_changes=7", "errors=3(")
	if strings.Contains(line, "window=") || strings.Contains(line, "fanout") {
		t.Errorf("outside the window: %q", line)
	}
	if got := errorSummary(map[string]uint64{"login": 0}); got != "0" {
		t.Errorf("no errors: %q", got)
	}
}

// A real run's progress: a legend line, then labelled lines.
func TestProgressOnStderr(t *testing.T) {
	url, _ := startPresenced(t, "-ping-interval", "100ms")
	seedPath := t.TempDir() + "/seed.json"
	if code := run([]string{"-mode", "seed", "-url", url, "-users", "3", "-tokens", seedPath}, &bytes.Buffer{}, &bytes.Buffer{}); code != 0 {
		t.Fatal("seed failed")
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-url", url, "-tokens", seedPath, "-n", "3", "-warmup", "0s", "-duration", "1200ms", "-progress", "300ms"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	if len(lines) < 3 || !strings.HasPrefix(lines[0], "presenced-load: progress every 300ms: phase") || !strings.Contains(lines[0], "connected=CONNECTs accepted so far") {
		t.Fatalf("stderr:\n%s", stderr.String())
	}
	for _, l := range lines[1:] {
		checkLabelled(t, l, "phase=", "open=3/3", "connected=3", "pongs/s=", "errors=0")
	}
}

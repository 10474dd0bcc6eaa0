package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// Given no token file, a run registers the accounts it needs on the
// server it targets, then runs; twice against the same server too.
func TestRunWithoutTokensSeedsItsUsers(t *testing.T) {
	url, _ := startPresenced(t, "-ping-interval", "200ms", "-offline-grace", "1ms")
	for i := range 2 {
		code, stdout, stderr := runCapture("-url", url, "-n", "30", "-probes", "1", "-inflight", "10", "-warmup", "200ms", "-duration", "1s", "-json", "-progress", "0")
		var rep report
		if code != 0 || json.Unmarshal([]byte(stdout), &rep) != nil {
			t.Fatalf("run %d: exit %d:\n%s", i, code, stderr)
		}
		if rep.Seeded != 31 || rep.Users != 30 || rep.Connect.Connected != 31 || !rep.Settled || rep.ErrorTotal != 0 || rep.Window.TabClose.Count != 1 {
			t.Fatalf("run %d: seeded %d, users %d, connected %d, settled %v, errors %v, tab closes %d", i, rep.Seeded, rep.Users, rep.Connect.Connected, rep.Settled, rep.Errors, rep.Window.TabClose.Count)
		}
		if !strings.Contains(stderr, "no -tokens: registering 30 users and 1 probes as bench") || !strings.Contains(stderr, "registered 30 users and 1 probes in") {
			t.Errorf("run %d: stderr:\n%s", i, stderr)
		}
	}
	code, stdout, stderr := runCapture("-mode", "global", "-url", url, "-n", "12", "-churn", "2", "-churn-hold", "200ms", "-idle", "0s", "-warmup", "200ms", "-duration", "1s", "-json", "-progress", "0")
	var rep report
	if code != 0 || json.Unmarshal([]byte(stdout), &rep) != nil || rep.Seeded != 12 || rep.Scoped.Setup.OK != 12 {
		t.Fatalf("global: exit %d, seeded %d:\n%s", code, rep.Seeded, stderr)
	}
}

// A server that rate-limits registration (its default -register-rate is
// 10 a minute) stops the seeding at the first 429, with the flag to lift it.
func TestSeedRateLimitedSaysRegisterRate(t *testing.T) {
	for _, args := range [][]string{
		{"-n", "10"},
		{"-mode", "seed", "-users", "10", "-tokens", filepath.Join(t.TempDir(), "seed.json")},
	} {
		url, _ := startPresenced(t, "-register-rate", "3")
		code, stdout, stderr := runCapture(append(args, "-url", url, "-progress", "0")...)
		// The run's own notice of what it registers comes first.
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		last := lines[len(lines)-1]
		wantOneLineFailure(t, code, stdout, last+"\n", "registration is rate-limited by the server (POST /api/register/ answered 429 Too Many Requests, Retry-After",
			"after 3 of 10 users", "start the server with -register-rate 0")
		if len(lines) > 2 {
			t.Errorf("%v: stderr:\n%s", args, stderr)
		}
	}
}

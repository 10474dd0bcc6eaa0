package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
)

// The scoped modes against fakeScoped (fakescoped_test.go): the load
// generator's own bookkeeping, end to end, before the real server has the
// events. The figures mean nothing about a server.

func runLoadExit(args ...string) (code int, rep *report, stderr string) {
	var out, errb bytes.Buffer
	code = run(append(args, "-json", "-progress", "0"), &out, &errb)
	if out.Len() > 0 {
		rep = &report{}
		if json.Unmarshal(out.Bytes(), rep) != nil {
			rep = nil
		}
	}
	return code, rep, errb.String()
}

func TestScopedModesAgainstFake(t *testing.T) {
	url := startFakeScoped(t, nil)
	seed := fakeSeed(t, 40)
	common := []string{"-url", url, "-tokens", seed, "-pid", strconv.Itoa(os.Getpid()), "-inflight", "8",
		"-idle", "200ms", "-warmup", "300ms", "-duration", "2500ms", "-churn-hold", "100ms"}
	tests := []struct {
		name  string
		args  []string
		check func(t *testing.T, s *scopedReport)
	}{
		{name: "rooms of 10, list", args: []string{"-mode", "rooms", "-n", "40", "-room-size", "10", "-churn", "8"},
			check: func(t *testing.T, s *scopedReport) {
				w := s.Window
				if s.Rooms != 4 || s.RoomSize != 10 || s.Setup.OK != 40 {
					t.Errorf("rooms %d of %d, setup %+v", s.Rooms, s.RoomSize, s.Setup)
				}
				if w.JoinNotified == 0 || w.JoinCoverage < 0.9 || w.JoinCoverage > 1.05 || w.LeaveCoverage < 0.9 {
					t.Errorf("notifications: joins %d of %d, leaves %d of %d", w.JoinNotified, w.JoinExpected, w.LeaveNotified, w.LeaveExpected)
				}
				if w.Traffic.ByKind["presence:update"].Frames == 0 || w.Traffic.ByKind["ack:presence:join"].Frames == 0 ||
					w.Traffic.ByKind["ack:presence:leave"].Frames == 0 || w.BytesPerSocketSec <= 0 {
					t.Errorf("traffic %+v", w.Traffic)
				}
				if a := w.Acks["join"]; a.OK == 0 || a.Failed != 0 || a.Latency.Count == 0 {
					t.Errorf("join acks %+v", a)
				}
				if w.CPUPerChangeUS <= 0 || w.CPUSource == "" {
					t.Errorf("CPU per change %v (%s)", w.CPUPerChangeUS, w.CPUSource)
				}
			}},
		{name: "one room, count mode", args: []string{"-mode", "rooms", "-n", "30", "-room-size", "0", "-room-mode", "count", "-churn", "6"},
			check: func(t *testing.T, s *scopedReport) {
				c := s.Window.Count
				if s.Rooms != 1 || c == nil || c.Frames == 0 || math.Abs(c.MaxRatePerMember-1) > 0.05 || c.MinGapMS < 900 {
					t.Errorf("rooms %d, count %+v", s.Rooms, c)
				}
				if s.Window.JoinExpected != 0 {
					t.Errorf("count mode expects no named joins: %d", s.Window.JoinExpected)
				}
			}},
		{name: "watch 5", args: []string{"-mode", "watch", "-n", "30", "-watch", "5", "-churn", "6"},
			check: func(t *testing.T, s *scopedReport) {
				w := s.Window
				if w.JoinNotified == 0 || w.JoinCoverage < 0.9 || w.LeaveCoverage < 0.9 {
					t.Errorf("watchers notified: binds %d of %d, closes %d of %d", w.JoinNotified, w.JoinExpected, w.LeaveNotified, w.LeaveExpected)
				}
				if w.Traffic.ByKind["presence:watch_update"].Frames == 0 || w.Traffic.ByKind["ack:presence:watch"].Frames == 0 {
					t.Errorf("traffic %+v", w.Traffic)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, rep, stderr := runLoadExit(append(tt.args, common...)...)
			if code != 0 || rep == nil || rep.Scoped == nil || rep.Scoped.Window == nil {
				t.Fatalf("exit %d, report %v\n%s", code, rep != nil, stderr)
			}
			if len(rep.Failures) > 0 || rep.ErrorTotal != 0 || rep.Scoped.Window.Changes == 0 {
				t.Fatalf("failures %v, errors %v, changes %d", rep.Failures, rep.Errors, rep.Scoped.Window.Changes)
			}
			// -duration is the window: 2.5 s, opened after the setup, -idle and -warmup.
			if w, s := rep.Scoped.Window, rep.Scoped; w.Seconds < 2.5 || w.Seconds > 2.8 || w.WarmupS != 0.3 ||
				w.StartS < s.Setup.Seconds+s.Idle.Seconds+w.WarmupS {
				t.Errorf("window %.3fs opened at %.3fs (setup %.3fs, idle %.3fs, warm-up %.1fs)", w.Seconds, w.StartS, s.Setup.Seconds, s.Idle.Seconds, w.WarmupS)
			}
			tt.check(t, rep.Scoped)
		})
	}
}

func TestScopedUnsupportedServer(t *testing.T) {
	url := startFakeScoped(t, func(f *fakeScoped) { f.unknown = true })
	seed := fakeSeed(t, 5)
	for _, mode := range []string{"rooms", "watch"} {
		code, _, stderr := runLoadExit("-mode", mode, "-url", url, "-tokens", seed, "-n", "5", "-room-size", "5", "-watch", "2", "-duration", "1s")
		if code != exitUnsupported || !strings.Contains(stderr, "does not implement rooms") || !strings.Contains(stderr, "unknown event") {
			t.Errorf("%s: exit %d: %s", mode, code, stderr)
		}
	}
}

// A refused ack is a failed run with the reason, not a summary of zeros.
func TestScopedRefusedAcksFail(t *testing.T) {
	url := startFakeScoped(t, func(f *fakeScoped) { f.refuse = roomName("public:bench", 1) })
	seed := fakeSeed(t, 20)
	code, rep, stderr := runLoadExit("-mode", "rooms", "-url", url, "-tokens", seed, "-n", "20", "-room-size", "10",
		"-churn", "4", "-warmup", "100ms", "-duration", "1s")
	if code != 1 || rep == nil || !strings.Contains(stderr, "ack join:forbidden=10") || !strings.Contains(stderr, "setup: 10 of 20") {
		t.Fatalf("exit %d, report %v: %s", code, rep != nil, stderr)
	}
	if rep.Scoped.AckFailures["join:forbidden"] != 10 {
		t.Errorf("ack failures %v", rep.Scoped.AckFailures)
	}
}

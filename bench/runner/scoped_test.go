package main

import (
	"strings"
	"testing"
	"time"
)

// scopedJS is a scoped run's report with the figures the goals read.
func scopedJS(bytes, cpu, notifyP99, joinAckP99 float64, countMax float64, others float64) string {
	count := "null"
	if countMax > 0 {
		count = `{"frames":10000,"frames_per_member_s":1,"max_rate_per_member_per_s":` + fmtJSON(countMax) + `,"min_gap_ms":990}`
	}
	return `{"n":10000,"connect":{"connected":10000},"settled":true,"scoped":{"mode":"rooms","setup":{"ok":10000,"seconds":2},` +
		`"window":{"seconds":8,"changes":1600,"changes_per_s":200,"bytes_per_socket_s":` + fmtJSON(bytes) + `,"frames_per_socket_s":0.3,` +
		`"traffic":{"by_kind":{"presence:update":{"bytes_per_socket_s":` + fmtJSON(bytes) + `,"frames_per_socket_s":0.3}}},` +
		`"server_cpu_us_per_change":` + fmtJSON(cpu) + `,"server_cpu_us_per_change_net":` + fmtJSON(cpu*0.9) + `,` +
		`"join_notify":{"count":100,"p50_ms":5,"p99_ms":` + fmtJSON(notifyP99) + `},"join_coverage":1,` +
		`"acks":{"join":{"ok":800,"latency":{"count":800,"p99_ms":` + fmtJSON(joinAckP99) + `}}},"count":` + count + `,"others_cores":` + fmtJSON(others) + `}},` +
		`"errors":{},"error_total":0}`
}

func TestScopedGoalRows(t *testing.T) {
	flat := []runResult{
		fakeRun(t, "rooms-1k", kindPresenced, true, scopedJS(100, 50, 30, 5, 0, 0.01)),
		fakeRun(t, "rooms-5k", kindPresenced, true, scopedJS(105, 60, 40, 6, 0, 0.01)),
		fakeRun(t, "rooms-10k", kindPresenced, true, scopedJS(110, 70, 80, 9, 0, 0.01)),
		fakeRun(t, "global-1k", kindPresenced, true, scopedJS(4000, 8000, 60, 0, 0, 0.01)),
		fakeRun(t, "global-10k", kindPresenced, true, scopedJS(32000, 4500, 3000, 0, 0, 0.01)),
		fakeRun(t, "global-1k", kindPeer, true, scopedJS(4500, 10000, 70, 0, 0, 0.01)),
		fakeRun(t, "rooms-count-10k", kindPresenced, true, scopedJS(60, 40, 0, 5, 1, 0.01)),
	}
	growing := []runResult{
		fakeRun(t, "rooms-1k", kindPresenced, true, scopedJS(100, 50, 30, 5, 0, 0.01)),
		fakeRun(t, "rooms-10k", kindPresenced, false, scopedJS(900, 200, 150, 30, 0, 0.5)), // rejected, but the only run
		fakeRun(t, "rooms-count-10k", kindPresenced, true, scopedJS(60, 40, 0, 5, 2, 0.01)),
	}
	failed := []runResult{{Scenario: "rooms-10k", Kind: kindPresenced, Failed: true, Reason: "exit status 3: the server does not implement rooms"}}
	byFig := func(fig string, keys ...string) scopedGoal {
		for _, g := range scopedGoals {
			if g.Fig == fig && strings.Join(g.Keys, ",") == strings.Join(keys, ",") {
				return g
			}
		}
		t.Fatalf("no goal %s %v", fig, keys)
		return scopedGoal{}
	}
	bytesRooms, bytesGlobal := byFig("bytes_per_socket_s", roomsKeys...), byFig("bytes_per_socket_s", globalKeys...)
	cpuRooms, notify := byFig("cpu_us_per_change_net", roomsKeys...), byFig("join_notify_p99", "rooms-10k")
	ack, count := byFig("join_ack_p99", "rooms-10k"), byFig("count_rate_max", "rooms-count-10k")
	tests := []struct {
		name string
		runs []runResult
		g    scopedGoal
		want []string
	}{
		{"bytes flat", flat, bytesRooms, []string{"1,000: 100 B/s · 5,000: 105 B/s · 10,000: 110 B/s", "| 1.10× |", "**goal met**"}},
		{"bytes grow", growing, bytesRooms, []string{"10,000: 900 B/s ⚠", "9.00×", "**MISSED**"}},
		{"baseline", flat, bytesGlobal, []string{"1,000: 4000 B/s · 10,000: 32,000 B/s (peer 1,000: 4500 B/s)", "8.00×", "| baseline |"}},
		{"cpu spread", flat, cpuRooms, []string{"1.40×", "**goal met**"}},
		{"cpu one N", growing[:1], cpuRooms, []string{"needs every N: only 1,000"}},
		{"notify bound", flat, notify, []string{"| 80.0 ms | – | ≤ 100 ms | **goal met** |"}},
		{"notify missed", growing, notify, []string{"150 ms ⚠", "**MISSED**"}},
		{"ack bound", flat, ack, []string{"9.00 ms", "**goal met**"}},
		{"count met", flat, count, []string{"| 1.00 /s |", "**goal met**"}},
		{"count missed", growing, count, []string{"| 2.00 /s |", "**MISSED**"}},
		{"failed run", failed, notify, []string{"no data: `rooms-10k` failed (exit status 3: the server does not implement rooms)"}},
		{"nothing", nil, notify, []string{"| – | – | ≤ 100 ms | no data |"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			row := scopedRow(tt.runs, tt.g)
			for _, w := range tt.want {
				if !strings.Contains(row, w) {
					t.Errorf("row lacks %q:\n%s", w, row)
				}
			}
		})
	}
}

func TestRenderScopedOnly(t *testing.T) {
	b := &bench{repo: "/repo", plot: "/repo/bench/results/p.svg", resultsDir: "/nonexistent", maxOthers: 0.1, quietWait: time.Second, took: time.Minute}
	b.runs = []runResult{
		fakeRun(t, "rooms-10k", kindPresenced, true, scopedJS(110, 70, 80, 9, 0, 0.01)),
		fakeRun(t, "global-1k", kindPeer, true, scopedJS(4500, 10000, 70, 0, 0, 0.02)),
	}
	b.runs[0].Server, b.runs[0].Load = []string{"bin/presenced", "-global-presence", "off"}, []string{"presenced-load", "-mode", "rooms"}
	md := renderMarkdown(b, machineInfo{CPU: "test", Cores: 2}, scenarios(false))
	for _, want := range []string{
		"## Goals: rooms and watchlists (presenced only",
		"The Node peer does not implement rooms",
		"### rooms of 10: 10,000 sockets of 10,000 users",
		"| presenced | 1 | 10,000 | 2.00 | 200 | 110 | 0.30 | 70.0 (63.0) | 5.00 / 80.0 (1.00) | 9.00 | – |",
		"- received per socket per second by kind, presenced run 1: `presence:update` 110 B (0.30 frames)",
		"`GOMAXPROCS=1 taskset -c  bin/presenced -global-presence off`",
		"**Rooms, watchlists and the baseline",
		"### the global list under the same churn: 1,000 sockets",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	for _, not := range []string{"## Goals (medians, same run)", "![pongs/s", "- **Throughput"} {
		if strings.Contains(md, not) {
			t.Errorf("a scoped-only report has %q", not)
		}
	}
}

func TestPlans(t *testing.T) {
	all := scenarios(false)
	count := map[string]int{}
	for _, sc := range all {
		count[sc.Group]++
		if sc.Group == planScoped {
			if sc.Users != scopedN || loadMode(sc.Load) == "sockets" || sc.Ping != "30s" || sc.Grace != "1ms" {
				t.Errorf("scoped scenario %s: %+v", sc.Key, sc)
			}
			if loadMode(sc.Load) != "global" && (len(sc.Kinds) != 1 || sc.Kinds[0] != kindPresenced || len(sc.ServerFlags) == 0) {
				t.Errorf("%s: rooms and watchlists run presenced only, with its rooms flags: %v %v", sc.Key, sc.Kinds, sc.ServerFlags)
			}
			if loadMode(sc.Load) == "global" && len(sc.ServerFlags) != 0 {
				t.Errorf("%s: the baseline passes no rooms flag (the peer knows none)", sc.Key)
			}
		}
	}
	if count[planCore] != 7 || count[planScoped] != 8 {
		t.Errorf("groups %v", count)
	}
	for _, tt := range []struct {
		plan  string
		quick bool
		want  time.Duration
	}{{planCore, false, 9*time.Minute + 20*time.Second}, {planScoped, false, 9 * time.Minute}, {planStack, false, 18 * time.Minute}, {planAll, false, 34*time.Minute + 20*time.Second}, {planAll, true, 9*time.Minute + 30*time.Second}} {
		if got := defaultBudget(tt.plan, tt.quick); got != tt.want {
			t.Errorf("defaultBudget(%s, %v) = %v, want %v", tt.plan, tt.quick, got, tt.want)
		}
	}
	b := &bench{plan: planScoped, only: map[string]bool{"rooms-1k": true, "pongs-1k": true}}
	if got := b.planned(); len(got) != 1 || got[0].Key != "rooms-1k" {
		t.Errorf("planned = %v", got)
	}
}

func TestSmallHelpers(t *testing.T) {
	for in, want := range map[string]string{"rooms-10k": "10,000", "rooms-count-10k": "10,000", "global-1k": "1,000", "x-700": "700"} {
		if got := nOfKey(in); got != want {
			t.Errorf("nOfKey(%s) = %s", in, got)
		}
	}
	for _, tt := range []struct {
		args []string
		want string
	}{{nil, "sockets"}, {[]string{"-n", "5"}, "sockets"}, {[]string{"-mode", "rooms", "-n", "5"}, "rooms"}, {[]string{"-mode"}, "sockets"}} {
		if got := loadMode(tt.args); got != tt.want {
			t.Errorf("loadMode(%v) = %s", tt.args, got)
		}
	}
	if got := oneLine("a\n  b | c", 100); got != "a b / c" {
		t.Errorf("oneLine = %q", got)
	}
}

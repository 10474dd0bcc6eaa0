package main

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestStackPlan(t *testing.T) {
	b := &bench{plan: planStack}
	var keys []string
	for _, sc := range b.planned() {
		keys = append(keys, sc.Key)
		parked := strings.HasSuffix(sc.Key, "-parked")
		if sc.Idle && (sc.Ping != "10s" || sc.Grace != "" || loadMode(sc.Load) != "sockets") {
			t.Errorf("%s: the idle scenarios run at the default sweep and grace: %+v", sc.Key, sc)
		}
		if sc.Idle && !parked && len(sc.Kinds) != 0 {
			t.Errorf("%s: the idle scenarios run both servers: %+v", sc.Key, sc)
		}
		if parked && (len(sc.Kinds) != 1 || sc.Kinds[0] != kindPresenced || strings.Join(sc.ServerFlags, " ") != "-ws-park-idle") {
			t.Errorf("%s: presenced alone, with -ws-park-idle: %+v", sc.Key, sc)
		}
	}
	if got := strings.Join(keys, ","); got != "pongs-10k,idle-10k,idle-1k,pongs-2k,idle-10k-parked,idle-1k-parked" {
		t.Errorf("stack plan = %s", got)
	}
	// The idle window holds at least two sweeps.
	for _, quick := range []bool{false, true} {
		w, _ := time.ParseDuration(idleWindow(quick))
		s, _ := time.ParseDuration(idleSweep)
		if w < 2*s {
			t.Errorf("quick=%v: window %v holds fewer than two sweeps of %v", quick, w, s)
		}
	}
	b = &bench{plan: planCore}
	for _, sc := range b.planned() {
		if sc.Group == planStack {
			t.Errorf("core runs %s", sc.Key)
		}
	}
}

func TestStackGoals(t *testing.T) {
	// rssKB is VmRSS once settled (what the marginal RSS reads); the window's
	// end is 9,000 KB more at 10,000 and 1,000 KB more at 1,000.
	idle := func(n int, rssKB int64, cpuS float64) string {
		return fmt.Sprintf(`{"n":%d,"connect":{"seconds":2,"connected":%d,"per_s":5000},"settled":true,"settle_s":2.5,`+
			`"window":{"seconds":30,"pings_per_s":%d,"server_pongs_per_s":%d,"server_cpu_s":%g,"server_cores":%g,"others_cores":0.01},`+
			`"server_rss_base_kb":20000,"server_rss_connected_kb":%d,"server_rss_kb":%d,"server_rss_per_conn_kb":10,"errors":{},"error_total":0}`,
			n, n, n/10, n/10, cpuS, cpuS/30, rssKB, rssKB+int64(n)*9/10)
	}
	pongs := func(cpu float64) string {
		return `{"n":2000,"connect":{"seconds":1,"connected":2000,"per_s":2000},"settled":true,"settle_s":1,` +
			`"window":{"seconds":3,"pongs_per_s":30000,"server_pongs_per_s":30000,"server_cpu_us_per_pong":` + fmtJSON(cpu) + `,"others_cores":0.01},"errors":{},"error_total":0}`
	}
	b := &bench{repo: "/repo", plot: "/repo/bench/results/p.svg", resultsDir: "/nonexistent", maxOthers: 0.1, quietWait: time.Second, took: time.Minute, plan: planStack}
	b.runs = []runResult{
		// presenced: 9,000 more sockets cost 81,000 KB (9 KB each); 0.45 s over 30 s at 10,000 = 1.5 µs
		fakeRun(t, "idle-10k", kindPresenced, true, idle(10000, 111000, 0.45)),
		fakeRun(t, "idle-1k", kindPresenced, true, idle(1000, 30000, 0.06)),
		// the peer: 27 KB each, 6 µs
		fakeRun(t, "idle-10k", kindPeer, true, idle(10000, 323000, 1.8)),
		fakeRun(t, "idle-1k", kindPeer, true, idle(1000, 80000, 0.2)),
		fakeRun(t, "pongs-2k", kindPresenced, true, pongs(15)),
		fakeRun(t, "pongs-2k", kindPeer, true, pongs(40)),
	}
	md := renderMarkdown(b, machineInfo{CPU: "test", Cores: 2}, scenarios(false))
	for _, want := range []string{
		"| server CPU per pong, N = 2,000 | 15.0 µs | 40.0 µs | 0.38× | ≤ 0.65× | ≤ 0.4× | **goal met** |",
		"÷ 9,000 (idle, default sweep) | 9.00 KB | 27.0 KB | 0.33× | – | ≤ 11 KB and ≤ 0.4× | **goal met** |",
		"CPU over the window ÷ N ÷ s) | 1.50 µs | 6.00 µs | 0.25× | – | ≤ 2 µs | **goal met** |",
		"| presenced | 1 | 10,000 | 2.50 | 30.0 | 1000 | 1000 | 0.45 | 1.50 | 108 | 117 | 10.0 | 0 | 0 | 0.00 | yes |",
		"- **Idle (`idle-1k`, `idle-10k`).**",
		"`-plan`: `core`, `scoped`, `stack` or `all`",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(md, "- **Storm") {
		t.Error("a stack-only report describes the storm")
	}
	// 12 KB each is over the absolute bound though under 0.4× of the peer.
	b.runs[0] = fakeRun(t, "idle-10k", kindPresenced, true, idle(10000, 30000+108000, 0.45))
	md = renderMarkdown(b, machineInfo{CPU: "test", Cores: 2}, scenarios(false))
	if !strings.Contains(md, "| 12.0 KB | 27.0 KB | 0.44× | – | ≤ 11 KB and ≤ 0.4× | **MISSED** |") {
		t.Errorf("over both bounds: %s", md[:min(len(md), 3000)])
	}
}

func TestVerdictBothBounds(t *testing.T) {
	g := goal{Lower: true, Abs: 11, Max: 0.4}
	for _, tt := range []struct {
		p, q float64
		okQ  bool
		want string
	}{{9, 30, true, "**goal met**"}, {12, 40, true, "**MISSED**"}, {9, 20, true, "**MISSED**"}, {9, 0, false, "no peer figure"}} {
		if _, v := verdict(g, tt.p, tt.q, true, tt.okQ); v != tt.want {
			t.Errorf("%v / %v: %s, want %s", tt.p, tt.q, v, tt.want)
		}
	}
	if _, v := verdict(goal{Lower: true, Abs: 2}, 3, 6, true, true); v != "**MISSED**" {
		t.Errorf("absolute goal without a minimum: %s", v)
	}
}

func TestPeerScript(t *testing.T) {
	b := &bench{node: "node", peerDir: "/p", peerJS: "minimal.js"}
	run := b.serverCommand(kindPeer, "/d", scenario{Key: "pongs-1k", Ping: "25ms"})
	seed := b.serverCommand(kindPeer, "/d", scenario{Ping: "10s"})
	if !strings.Contains(strings.Join(run, " "), "/p/minimal.js") || !strings.Contains(strings.Join(seed, " "), "/p/server.js") {
		t.Errorf("run %v, seed %v", run, seed)
	}
}

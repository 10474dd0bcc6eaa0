package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func fakeRun(t *testing.T, sc, kind string, accepted bool, js string) runResult {
	t.Helper()
	var rep loadReport
	if err := json.Unmarshal([]byte(js), &rep); err != nil {
		t.Fatal(err)
	}
	return runResult{Scenario: sc, Kind: kind, Run: 1, Accepted: accepted, Report: &rep, Raw: json.RawMessage(js)}
}

func TestVerdict(t *testing.T) {
	lower := goal{Lower: true, Min: 0.65, Max: 0.4}
	for _, tt := range []struct {
		p, q float64
		want string
	}{{30, 100, "**goal met**"}, {50, 100, "minimum met"}, {80, 100, "**MISSED**"}} {
		if _, v := verdict(lower, tt.p, tt.q, true, true); v != tt.want {
			t.Errorf("lower %v/%v: %s, want %s", tt.p, tt.q, v, tt.want)
		}
	}
	higher := goal{Min: 1.5, Max: 2}
	if r, v := verdict(higher, 30, 10, true, true); r != "3.00×" || v != "**goal met**" {
		t.Errorf("higher: %s %s", r, v)
	}
	abs := goal{Lower: true, AbsMin: 1.5, Abs: 1.2}
	if _, v := verdict(abs, 1.3, 0, true, false); v != "minimum met" {
		t.Errorf("absolute: %s", v)
	}
	if _, v := verdict(goal{Lower: true, Min: 1, Abs: 150}, 120, 0, true, false); v != "no peer figure" {
		t.Errorf("ratio without a peer figure: %s", v)
	}
}

func TestRenderAndPlot(t *testing.T) {
	win := func(pongs, cpu, p99 float64, others float64) string {
		return `{"n":10000,"connect":{"seconds":5,"connected":10000,"per_s":2000},"settled":true,"settle_s":6,` +
			`"window":{"seconds":3,"pongs_per_s":` + fmtJSON(pongs) + `,"server_pongs_per_s":` + fmtJSON(pongs) + `,"server_cpu_us_per_pong":` + fmtJSON(cpu) +
			`,"fanout":{"count":10,"p50_ms":5,"p99_ms":` + fmtJSON(p99) + `},"tab_close":{"count":10,"p50_ms":60,"p99_ms":90},"others_cores":` + fmtJSON(others) + `},` +
			`"syscalls":{"method":"perf","per_pong":1.3},"server_rss_kb":400000,"server_rss_per_conn_kb":20,"errors":{},"error_total":0}`
	}
	b := &bench{repo: "/repo", plot: "/repo/bench/results/p.svg", resultsDir: "/nonexistent", maxOthers: 0.1, quietWait: time.Second, took: time.Minute}
	b.runs = []runResult{
		fakeRun(t, "pongs-10k", kindPresenced, true, win(30000, 20, 50, 0.01)),
		fakeRun(t, "pongs-10k", kindPresenced, false, win(1000, 99, 50, 0.9)), // rejected: left out of the median
		fakeRun(t, "pongs-10k", kindPeer, true, win(12000, 60, 80, 0.02)),
		fakeRun(t, "storm-10k", kindPresenced, true, win(10000, 50, 100, 0.01)),
		fakeRun(t, "storm-10k", kindPeer, true, win(10000, 70, 200, 0.01)),
		fakeRun(t, "hold-19k", kindPresenced, true, strings.Replace(win(9500, 50, 120, 0.01), `"connected":10000`, `"connected":19000`, 1)),
	}
	md := renderMarkdown(b, machineInfo{CPU: "test", Cores: 2, Versions: map[string]string{"go": "1.26"}}, scenarios(false))
	for _, want := range []string{
		"| pongs/s sustained, N = 10,000 | 30,000 /s | 12,000 /s | 2.50× | ≥ 1.5× | ≥ 2× | **goal met** |",
		"| server CPU per pong, N = 10,000 | 20.0 µs | 60.0 µs | 0.33× |",
		"19,000 held, 0 errors",
		"![pongs/s and memory against N](bench/results/p.svg)",
		"### ping/pong throughput, 10,000 bound sockets",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	svg := plotSVG(b.runs)
	if !strings.HasPrefix(svg, "<svg") || !strings.Contains(svg, "<circle") || !strings.HasSuffix(svg, "</svg>\n") {
		t.Errorf("plot:\n%s", svg)
	}
}

func fmtJSON(v float64) string { b, _ := json.Marshal(v); return string(b) }

func TestTidy(t *testing.T) {
	b := &bench{work: "/tmp/presenced-bench-1", repo: "/nonexistent-repo"}
	got := tidy(b, "-db sqlite:///tmp/presenced-bench-1/pongs-10k-peer-1-3/peer.db -tokens /tmp/presenced-bench-1/seed-peer/x")
	if got != "-db sqlite://$RUN/peer.db -tokens $SEED/x" {
		t.Errorf("tidy = %q", got)
	}
}

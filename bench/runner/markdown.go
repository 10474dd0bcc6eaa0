package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// goal is one row of the goals table.
type goal struct {
	Figure   string
	Scenario string
	Fig      string
	Unit     string
	Lower    bool    // lower is better (the ratio must stay under the bound)
	Min, Max float64 // ratio bounds: minimum and goal (0: none)
	Abs      float64 // goal as an absolute bound on presenced's figure (0: none)
	AbsMin   float64 // minimum as an absolute bound (0: none)
	MinText  string
	GoalText string
	// Value, when set, computes the figure from several scenarios (instead
	// of the median of Fig in Scenario).
	Value func(runs []runResult, kind string) (v float64, n int, noisy bool)
}

// marginalRSS is the RSS one more idle bound socket costs: (median RSS of
// idle-10k − median RSS of idle-1k) ÷ (their median bound sockets), VmRSS
// once every socket is bound and settled (its first update received), as
// issue 16 defines it; the window's end is in the tables beside it.
func marginalRSS(runs []runResult, kind string) (float64, int, bool) {
	hi, nh, noisyH := medianOf(runs, "idle-10k", kind, "rss_settled_kb")
	lo, nl, noisyL := medianOf(runs, "idle-1k", kind, "rss_settled_kb")
	ch, _, _ := medianOf(runs, "idle-10k", kind, "connected")
	cl, _, _ := medianOf(runs, "idle-1k", kind, "connected")
	if nh == 0 || nl == 0 || ch <= cl {
		return 0, 0, false
	}
	return (hi - lo) / (ch - cl), min(nh, nl), noisyH || noisyL
}

// marginalRSSParked is marginalRSS of presenced with -ws-park-idle (the -parked
// idle runs) beside the peer's own.
func marginalRSSParked(runs []runResult, kind string) (float64, int, bool) {
	if kind != kindPresenced {
		return marginalRSS(runs, kind)
	}
	parked := make([]runResult, 0, len(runs))
	for _, r := range runs {
		if k, ok := strings.CutSuffix(r.Scenario, "-parked"); ok && r.Kind == kindPresenced {
			r.Scenario = k
			parked = append(parked, r)
		}
	}
	return marginalRSS(parked, kind)
}

// idleCPUParked is the idle CPU of presenced with -ws-park-idle beside the peer's.
func idleCPUParked(runs []runResult, kind string) (float64, int, bool) {
	key := "idle-10k"
	if kind == kindPresenced {
		key += "-parked"
	}
	return medianOf(runs, key, kind, "idle_cpu_us")
}

var goals = []goal{
	{Figure: "server CPU per pong, N = 2,000", Scenario: "pongs-2k", Fig: "cpu_us_per_pong", Unit: "µs", Lower: true, Min: 0.65, Max: 0.4, MinText: "≤ 0.65×", GoalText: "≤ 0.4×"},
	{Figure: "server CPU per pong, N = 5,000", Scenario: "pongs-5k", Fig: "cpu_us_per_pong", Unit: "µs", Lower: true, Min: 0.65, Max: 0.4, MinText: "≤ 0.65×", GoalText: "≤ 0.4×"},
	{Figure: "server CPU per pong, N = 10,000", Scenario: "pongs-10k", Fig: "cpu_us_per_pong", Unit: "µs", Lower: true, Min: 0.65, Max: 0.4, MinText: "≤ 0.65×", GoalText: "≤ 0.4×"},
	{Figure: "pongs/s sustained, N = 10,000", Scenario: "pongs-10k", Fig: "pongs_per_s", Unit: "/s", Min: 1.5, Max: 2, MinText: "≥ 1.5×", GoalText: "≥ 2×"},
	{Figure: "connect storm: 10,000 logins + binds, 100 in flight (time to all settled)", Scenario: "storm-10k", Fig: "settle_s", Unit: "s", Lower: true, Min: 0.5, Max: 0.3, MinText: "≤ 0.5×", GoalText: "≤ 0.3×"},
	{Figure: "RSS per idle bound connection, N = 10,000 (after the storm, sweep every 2 s)", Scenario: "storm-10k", Fig: "rss_per_conn_kb", Unit: "KB", Lower: true, Min: 1.0, Max: 0.65, MinText: "≤ 1.0×", GoalText: "≤ 0.65× (≈ 13 KB)"},
	{Figure: "marginal RSS per idle bound connection: (RSS at N = 10,000 − RSS at N = 1,000) ÷ 9,000 (idle, default sweep)", Scenario: "idle-10k", Unit: "KB",
		Lower: true, Abs: 11, Max: 0.4, MinText: "–", GoalText: "≤ 11 KB and ≤ 0.4×", Value: marginalRSS},
	{Figure: "idle CPU per bound connection per second, N = 10,000 (default sweep every 10 s, Engine.IO ping 25 s; CPU over the window ÷ N ÷ s)", Scenario: "idle-10k", Fig: "idle_cpu_us", Unit: "µs",
		Lower: true, Abs: 2, MinText: "–", GoalText: "≤ 2 µs"},
	{Figure: "the same marginal RSS, presenced with -ws-park-idle (idle websockets parked in epoll, no goroutine each)", Scenario: "idle-10k-parked", Unit: "KB",
		Lower: true, Abs: 11, Max: 0.4, MinText: "–", GoalText: "≤ 11 KB and ≤ 0.4×", Value: marginalRSSParked},
	{Figure: "the same idle CPU, presenced with -ws-park-idle", Scenario: "idle-10k-parked", Unit: "µs",
		Lower: true, Abs: 2, MinText: "–", GoalText: "≤ 2 µs", Value: idleCPUParked},
	{Figure: "fan-out p99, N = 10,000 (sweep every 2 s)", Scenario: "storm-10k", Fig: "fanout_p99", Unit: "ms", Lower: true, Min: 1.0, Abs: 150, MinText: "≤ 1.0×", GoalText: "≤ 150 ms"},
	{Figure: "tab close → all notified p99, N = 10,000", Scenario: "storm-10k", Fig: "tabclose_p99", Unit: "ms", Lower: true, Min: 1.0, Abs: 150, MinText: "≤ 1.0×", GoalText: "≤ 150 ms"},
	{Figure: "logins/s (bcrypt cost 10 on both)", Scenario: "http", Fig: "logins_per_s", Unit: "/s", Min: 1.0, Max: 1.0, MinText: "≥ 1.0×", GoalText: "≥ 1.0×"},
	{Figure: "authenticated GET /api/me/ per second", Scenario: "http", Fig: "gets_per_s", Unit: "/s", Min: 1.5, Max: 2, MinText: "≥ 1.5×", GoalText: "≥ 2×"},
	{Figure: "syscalls per pong (server, N = 10,000)", Scenario: "pongs-10k", Fig: "syscalls_per_pong", Unit: "", Lower: true, AbsMin: 1.5, Abs: 1.2, MinText: "≤ 1.5", GoalText: "≤ 1.2"},
}

func verdict(g goal, p, q float64, okP, okQ bool) (ratio string, v string) {
	if !okP {
		return "–", "no data"
	}
	haveQ := okQ && q > 0
	r := 0.0
	ratio = "–"
	if haveQ {
		r = p / q
		ratio = fmt.Sprintf("%.2f×", r)
	}
	better := func(x, bound float64) bool {
		if g.Lower {
			return x <= bound
		}
		return x >= bound
	}
	hasMin := g.AbsMin > 0 || g.Min > 0
	minOK := true
	switch {
	case g.AbsMin > 0:
		minOK = better(p, g.AbsMin)
	case g.Min > 0:
		minOK = haveQ && better(r, g.Min)
	}
	// The goal: every bound it has (an absolute one, a ratio, or both).
	goalOK := minOK
	if g.Abs > 0 {
		goalOK = goalOK && better(p, g.Abs)
	}
	if g.Max > 0 {
		goalOK = goalOK && haveQ && better(r, g.Max)
	}
	// A ratio within 2 % of its bound is a tie at this machine's resolution
	// (logins at the same bcrypt cost on the same core are one by design).
	near := func(bound float64) bool { return haveQ && math.Abs(r-bound) <= 0.02*bound }
	switch {
	case (g.Min > 0 || g.Max > 0) && !haveQ:
		return ratio, "no peer figure"
	case goalOK:
		return ratio, "**goal met**"
	case !minOK && g.AbsMin == 0 && near(g.Min) && g.Max == g.Min:
		return ratio, "on the bound (within 2 %)"
	case minOK && hasMin:
		return ratio, "minimum met"
	}
	return ratio, "**MISSED**"
}

func renderMarkdown(b *bench, m machineInfo, scs []scenario) string {
	var w strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&w, format+"\n", a...) }
	took := b.took.Round(time.Second)
	p("# Benchmarks: presenced beside the Node socket.io reference")
	p("")
	plan := b.plan
	if plan == "" {
		plan = planAll
	}
	p("Generated by `make bench` (`bench/run.sh`) on %s; this run took %v (%s, `-plan %s`). Absolute figures hold for this", m.Date, took,
		map[bool]string{false: "full plan", true: "quick plan, `BENCH_QUICK=1`"}[b.quick], plan)
	p("machine only; the ratios presenced ÷ peer are the claim (for rooms and watchlists, which the peer lacks: presenced's figures")
	p("across N and against bounds). Do not edit by hand: the next `make bench` rewrites this file")
	p("(the analysis comes from `bench/analysis.md`, the soak from `bench/soak.sh`, the profiles from `bench/profile.sh`).")
	for _, n := range b.notes {
		p("%s", n)
	}
	p("")
	core, scoped, stack := hasRuns(b.runs, planCore, scs), hasRuns(b.runs, planScoped, scs), hasRuns(b.runs, planStack, scs)
	if core || stack {
		writeCoreGoals(&w, b)
	}
	if scoped {
		writeScopedGoals(&w, b)
	}
	if b.quick {
		p("**Quick plan (`BENCH_QUICK=1`): one run each, the storm at 3,000 and the hold at 5,000 sockets for 5 s, scoped windows of 4 s, rooms at 1,000 and 10,000 only and the global list at 1,000 only, idle windows of 20 s — a smoke test of the bench, not the claim; the rows above keep their full-plan names.**")
	}
	p("⚠: no run of that figure passed the noise rule (others > %.1f core); the median is over all runs and is indicative only.", b.maxOthers)
	if len(b.skipped) > 0 {
		p("Skipped for the time budget: %s.", strings.Join(b.skipped, "; "))
	}
	p("")
	if core || stack {
		p("![pongs/s and memory against N](%s)", relPath(b.repo, b.plot))
		p("")
	}
	writeMachine(&w, b, m)
	writeMethod(&w, b, core, scoped, stack)
	for _, sc := range scs {
		writeScenario(&w, b, sc)
	}
	for _, extra := range []struct{ title, path string }{
		{"Soak: 10 minutes, N = 10,000, ping every second (`bench/soak.sh`)", filepath.Join(b.resultsDir, "soak.md")},
		{"Where the time and memory go (`bench/profile.sh`)", filepath.Join(b.resultsDir, "profile.md")},
		{"Analysis", filepath.Join(b.repo, "bench", "analysis.md")},
	} {
		if raw, err := os.ReadFile(extra.path); err == nil {
			p("## %s", extra.title)
			p("")
			p("%s", strings.TrimSpace(string(raw)))
			p("")
		}
	}
	return w.String()
}

func writeCoreGoals(w *strings.Builder, b *bench) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	p("## Goals (medians, same run)")
	p("")
	p("| figure | presenced | peer (Node) | ratio | minimum | goal | verdict |")
	p("|---|---|---|---|---|---|---|")
	for _, g := range goals {
		value := func(kind string) (float64, int, bool) { return medianOf(b.runs, g.Scenario, kind, g.Fig) }
		if g.Value != nil {
			value = func(kind string) (float64, int, bool) { return g.Value(b.runs, kind) }
		}
		pv, pn, pNoisy := value(kindPresenced)
		qv, qn, qNoisy := value(kindPeer)
		ratio, v := verdict(g, pv, qv, pn > 0, qn > 0)
		cell := func(v float64, n int, noisy bool) string {
			if n == 0 {
				return "–"
			}
			s := fmtNum(v) + " " + g.Unit
			if noisy {
				s += " ⚠"
			}
			return strings.TrimSpace(s)
		}
		p("| %s | %s | %s | %s | %s | %s | %s |", g.Figure, cell(pv, pn, pNoisy), cell(qv, qn, qNoisy), ratio, g.MinText, g.GoalText, v)
	}
	p("%s", holdRow(b))
	p("%s", hammerRow(b))
	p("")
}

func holdRow(b *bench) string {
	row := "| bound connections held %s in one process | %s | %s | – | 19,000, no errors | same, p99 fan-out unchanged | %s |"
	cell := func(kind string) (string, bool, float64) {
		for _, r := range b.runs {
			if r.Scenario != "hold-19k" || r.Kind != kind || r.Report == nil {
				continue
			}
			rep := r.Report
			p99 := 0.0
			if rep.Window != nil {
				p99 = rep.Window.Fanout.P99
			}
			ok := rep.N > 0 && rep.Connect.Connected >= int64(rep.N) && rep.ErrorTotal == 0
			return fmt.Sprintf("%s held, %d errors, fan-out p99 %s ms", comma(int(rep.Connect.Connected)), rep.ErrorTotal, fmtNum(p99)), ok, p99
		}
		return "–", false, 0
	}
	pc, pok, p99 := cell(kindPresenced)
	qc, _, _ := cell(kindPeer)
	dur := "60 s"
	if b.quick {
		dur = "5 s (quick: 5,000 sockets)"
	}
	v := "**MISSED**"
	if pc == "–" {
		v = "no data"
	} else if pok {
		v = "minimum met"
		if base, n, _ := medianOf(b.runs, "storm-10k", kindPresenced, "fanout_p99"); n > 0 && p99 <= base*1.5+5 {
			v = "**goal met**"
		}
	}
	return fmt.Sprintf(row, dur, pc, qc, v)
}

func hammerRow(b *bench) string {
	pv, pn, _ := medianOf(b.runs, "hammer", kindPresenced, "answers_limited_pct")
	qv, qn, _ := medianOf(b.runs, "hammer", kindPeer, "answers_limited_pct")
	cell := func(v float64, n int) string {
		if n == 0 {
			return "–"
		}
		return fmtNum(v) + " %"
	}
	v := "no data"
	if pn > 0 {
		v = map[bool]string{true: "**goal met**", false: "**MISSED**"}[pv == 0]
	}
	return fmt.Sprintf("| answers to the server's pings that were rate-limited, while each socket also sends 50 unsolicited pongs/s | %s | %s | – | 0 | 0 | %s |",
		cell(pv, pn), cell(qv, qn), v)
}

func writeMachine(w *strings.Builder, b *bench, m machineInfo) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	p("## Machine and versions")
	p("")
	p("- %s, %d cores, %.1f GiB, Linux %s, %d open files per process; `perf` %s.", m.CPU, m.Cores, m.MemoryGiB, m.Kernel, m.OpenFiles,
		map[bool]string{true: "present (syscalls counted with the `raw_syscalls:sys_enter` tracepoint)", false: "absent (syscalls: read+write from /proc/PID/io only)"}[m.Perf])
	keys := make([]string, 0, len(m.Versions))
	for k := range m.Versions {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var vs []string
	for _, k := range keys {
		vs = append(vs, k+" "+m.Versions[k])
	}
	p("- presenced %s; %s.", m.Commit, strings.Join(vs, ", "))
	if len(m.Floor) > 0 {
		var fs []string
		for _, f := range m.Floor {
			fs = append(fs, fmt.Sprintf("%s µs over %s sockets", fmtNum(f.MicrosPerFrame), comma(f.Sockets)))
		}
		p("- Loopback floor measured by this run (one 64-byte write on a socket + the read on its peer, round robin over many pairs, one core): %s. "+
			"Every pong costs a server at least one such frame in (the pong) and one out (its ping), so per-pong figures on this machine sit well above the ≈ 3.6 µs per frame of the machine the issue's absolute figures came from.", strings.Join(fs, ", "))
	}
	p("- The machine is shared with other work: see the `others` column of each run.")
	p("")
}

func writeMethod(w *strings.Builder, b *bench, core, scoped, stack bool) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	p("## Method")
	p("")
	if !core && !stack {
		writeRunsMethod(w, b)
		writeScopedMethod(w)
		p("")
		return
	}
	p("- **Servers.** presenced (`bin/presenced`, SQLite) and the peer (`bench/peer/server.js`: socket.io 4.8 on Node, SQLite through `node:sqlite`, bcrypt through `@node-rs/bcrypt`, JWT HS256 through `node:crypto`; the same contract: register, login, binding by the CONNECT `auth` or any `ng-action` token, the sweep with liveness, pong counting with the same rate-limit rule, presence with login credit and offline grace, 50 ms coalesced `update_user_online` diffs encoded once per flush). Each server runs pinned to core %s with `taskset` (presenced with `GOMAXPROCS=1`); the load generator `bin/presenced-load` (Go; its own lean websocket client over presenced's codec) runs pinned to core %s with `GOMAXPROCS=1`.", b.serverCPU, b.loadCPU)
	p("- **Users.** For each server a database with %d users and %d single-socket probe users is seeded once (bcrypt cost 4: seeding only; their long-lived tokens bind the sockets); every run starts from a fresh copy of it. N sockets are spread over the %d users.", seedUsers, seedProbes, seedUsers)
	writeRunsMethod(w, b)
	p("- **Throughput (`pongs-*`).** The sweep offers %s pongs/s (N ÷ ping interval), 2–3× what either server sustains on one core here. The load generator opens every websocket first and sends the CONNECTs after (`-preopen`), so that connecting does not crawl under the sweep; then 1 s of warm-up and a 3 s window. Pongs/s = what the server counted (`presenced_pongs_total`; the peer exposes the same counter). CPU per pong = the server's utime+stime over the window (/proc/PID/stat) ÷ those pongs, so it includes the ping sent for each pong. Syscalls per pong = `perf stat -e raw_syscalls:sys_enter -p PID` for 2 s after the window ÷ pongs in that time (all threads, every system call).", comma(offeredPongs))
	if stack {
		p("- **Idle (`idle-1k`, `idle-10k`).** N bound sockets (preopened, then bound by their CONNECT `auth`) over the %d users, answering every sweep as the browser client does (an `ng-action` pong with its token) and every Engine.IO ping, and nothing else; both servers at presenced's default sweep (`-ping-interval %s`) and Engine.IO heartbeat (ping every 25 s). After every socket has its first update, %s of warm-up, then a %s window: exactly %s sweeps and one or two Engine.IO pings per socket. Idle CPU = the server's utime+stime over the window (/proc/PID/stat, 10 ms ticks) ÷ bound sockets ÷ seconds, in µs per socket per second. Marginal RSS = (median VmRSS of the `idle-10k` runs once every socket is bound and settled, i.e. has its first update − the same of `idle-1k`) ÷ the difference in bound sockets (9,000): what one more idle bound socket costs, the process's fixed part cancelled out; VmRSS at the window's end, after the sweeps, is in the tables beside it.",
			seedUsers, idleSweep, "3 s", spaced(idleWindow(b.quick)), map[bool]string{false: "three", true: "two"}[b.quick])
	}
	if !core {
		if scoped {
			writeScopedMethod(w)
		}
		p("")
		return
	}
	p("- **Storm (`storm-10k`).** 10,000 connections, 100 in flight, each a `POST /api-token-auth/` (bcrypt at cost 4 on both: the users were hashed at cost 4, and 10,000 logins at cost 10 would take ~13 minutes of one core) followed by a websocket and a CONNECT with the new token. Storm time = from the first login until every socket has received an update showing all %d users online. Then, with the sweep every 2 s (at 1 s both servers are near saturation on this machine, and latency would be queueing): RSS per connection = (VmRSS at the window's end − VmRSS before the storm) ÷ open sockets; fan-out latency = receive time − the ping's `ts` (ms resolution) over every ping of the window; tab close = closing a probe's only socket (close frame, then TCP close) until all 10,000 observers have seen its user in `left`, %d probes, both servers with `-offline-grace 1ms` so that the figure is the notification path, not the grace.", seedUsers, tabCloses)
	p("- **HTTP (`http`).** Servers at `-bcrypt-cost 10`; 4 users registered, then 4 logins in flight for 3 s; then 32 keep-alive connections send `GET /api/me/` (token check + one user read) for 3 s with a raw HTTP/1.1 client.")
	p("- **Hold (`hold-19k`).** 19,000 bound sockets (the most one process may hold here: 20,000 open files) on presenced for 60 s with a sweep every 2 s: no errors, and the fan-out p99 compared with the storm scenario's at 10,000.")
	p("- **Hammer (`hammer`).** 200 sockets, a sweep every 100 ms, and 50 unsolicited pongs/s per socket on top; every answer to a ping asks for an ack, so the report counts answers the server rate-limited. The contract requires none.")
	if scoped {
		writeScopedMethod(w)
	}
	p("")
}

func writeRunsMethod(w *strings.Builder, b *bench) {
	fmt.Fprintf(w, "- **Runs.** The plan (`-plan`: `core`, `scoped`, `stack` or `all`) runs in rounds — every scenario once, then again, up to %d rounds (quick: 1) — so that the time budget (`-budget`, default 9 m 20 s for `core`, 9 m for `scoped`, 13 m for `stack` (11 m within `all`, where `core` runs `pongs-10k`), their sum for `all`; this run %v; the build comes on top) cuts repeats, not scenarios. Within a round the two servers alternate and which goes first alternates with the round. Before each run the bench waits up to %v for the machine to fall under %.1f core of other work; a run whose measured part saw other processes (not the server, not the load generator, not kernel threads; interrupt time left out) use more than %.1f core is rejected and retried while the budget allows. Medians are over accepted runs (⚠ where none was accepted).\n", 3, b.budget, b.quietWait, b.maxOthers, b.maxOthers)
}

func writeScenario(w *strings.Builder, b *bench, sc scenario) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	var runs []runResult
	for _, r := range b.runs {
		if r.Scenario == sc.Key {
			runs = append(runs, r)
		}
	}
	if len(runs) == 0 {
		return
	}
	p("### %s (`%s`)", sc.Title, sc.Key)
	p("")
	http := slices.Contains(sc.Load, "http")
	if sc.Group == planScoped {
		writeScopedScenario(w, b, sc, runs)
	} else if sc.Idle {
		writeIdleScenario(w, runs)
	} else if http {
		p("| server | run | logins/s | µs CPU/login | GETs/s | µs CPU/GET | GET p99 ms | errors | others (cores) | accepted |")
		p("|---|---|---|---|---|---|---|---|---|---|")
	} else {
		p("| server | run | connect/s | settled s | pongs/s | µs CPU/pong | fan-out p50 / p99 ms | tab close p50 / p99 ms | RSS MB | KB/conn | syscalls/pong | closed | errors | others (cores) | accepted |")
		p("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	}
	for _, r := range runs {
		if sc.Group == planScoped || sc.Idle {
			break // written above
		}
		acc := "yes"
		if r.Failed {
			acc = "failed: " + r.Reason
		} else if !r.Accepted {
			acc = "no"
		}
		rep := r.Report
		if rep == nil {
			p("| %s | %d | %s |", r.Kind, r.Run, acc)
			continue
		}
		if http && rep.HTTP != nil {
			h := rep.HTTP
			p("| %s | %d | %s | %s | %s | %s | %s | %d | %.2f | %s |", r.Kind, r.Run, fmtNum(h.LoginsPerSec), fmtNum(h.LoginCPU),
				fmtNum(h.GetsPerSec), fmtNum(h.GetCPU), fmtNum(h.GetLatency.P99), h.Errors, r.Others, acc)
			continue
		}
		pongs, cpu, fan, tab, sys := "–", "–", "–", "–", "–"
		closed := float64(rep.Errors["closed_by_server"])
		if wd := rep.Window; wd != nil {
			v, _ := figures["pongs_per_s"](rep)
			pongs, fan = fmtNum(v), fmtNum(wd.Fanout.P50)+" / "+fmtNum(wd.Fanout.P99)
			if wd.CPUPerPong > 0 {
				cpu = fmtNum(wd.CPUPerPong)
			}
			if wd.TabClose.Count > 0 {
				tab = fmtNum(wd.TabClose.P50) + " / " + fmtNum(wd.TabClose.P99)
				if wd.TabCloseTimeouts > 0 {
					tab += fmt.Sprintf(" (%d timed out)", wd.TabCloseTimeouts)
				}
			}
		}
		if rep.Syscalls != nil {
			sys = fmtNum(rep.Syscalls.PerPong)
		}
		settled := fmtNum(rep.SettleSeconds)
		if !rep.Settled {
			settled += " (not all)"
		}
		p("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %d | %.2f | %s |", r.Kind, r.Run, fmtNum(rep.Connect.PerSecond), settled,
			pongs, cpu, fan, tab, fmtNum(float64(rep.RSSKB)/1024), fmtNum(rep.RSSPerConnKB), sys, fmtNum(closed), rep.ErrorTotal, r.Others, acc)
	}
	p("")
	for _, kind := range []string{kindPresenced, kindPeer} {
		for _, r := range runs {
			if r.Kind == kind && len(r.Server) > 0 {
				env := ""
				if kind == kindPresenced {
					env = "GOMAXPROCS=1 "
				}
				p("- %s: `%staskset -c %s %s`", kind, env, b.serverCPU, tidy(b, strings.Join(r.Server, " ")))
				p("  load: `GOMAXPROCS=1 taskset -c %s %s`", b.loadCPU, tidy(b, strings.Join(r.Load, " ")))
				break
			}
		}
	}
	if errs := errorSummary(runs); errs != "" {
		p("- errors seen: %s", errs)
	}
	p("")
}

// writeIdleScenario is an idle scenario's table.
func writeIdleScenario(w *strings.Builder, runs []runResult) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	p("| server | run | connected | settled s | window s | sweep pings/s received | pongs/s (server) | server CPU s | µs CPU per socket per s | RSS settled MB | RSS end MB | KB/conn (end − base) | closed | errors | others (cores) | accepted |")
	p("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range runs {
		acc := "yes"
		if r.Failed {
			acc = "failed: " + oneLine(r.Reason, 200)
		} else if !r.Accepted {
			acc = "no"
		}
		rep := r.Report
		if rep == nil || rep.Window == nil {
			p("| %s | %d | %s |", r.Kind, r.Run, acc)
			continue
		}
		wd := rep.Window
		cpu := "–"
		if v, ok := figures["idle_cpu_us"](rep); ok {
			cpu = fmtNum(v)
		}
		settled := fmtNum(rep.SettleSeconds)
		if !rep.Settled {
			settled += " (not all)"
		}
		p("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %d | %d | %.2f | %s |", r.Kind, r.Run, comma(int(rep.Connect.Connected)), settled,
			fmtNum(wd.Seconds), fmtNum(wd.PingsPerSec), fmtNum(wd.ServerPongsPerSec), fmtNum(wd.ServerCPUSeconds), cpu,
			fmtNum(float64(rep.RSSSettledKB)/1024), fmtNum(float64(rep.RSSKB)/1024), fmtNum(rep.RSSPerConnKB), wd.Closed, rep.ErrorTotal, r.Others, acc)
	}
}

// errorSummary sums each error kind over the runs of a scenario, by server.
func errorSummary(runs []runResult) string {
	var parts []string
	for _, kind := range []string{kindPresenced, kindPeer} {
		tot := map[string]uint64{}
		for _, r := range runs {
			if r.Kind == kind && r.Report != nil {
				for k, v := range r.Report.Errors {
					tot[k] += v
				}
			}
		}
		var ks []string
		for k, v := range tot {
			if v > 0 {
				ks = append(ks, fmt.Sprintf("%s %s", k, comma(int(v))))
			}
		}
		slices.Sort(ks)
		if len(ks) > 0 {
			parts = append(parts, kind+": "+strings.Join(ks, ", "))
		}
	}
	return strings.Join(parts, "; ")
}

var (
	seedDirRE = regexp.MustCompile(`(?:/[^/ ]+)*/presenced-bench-[0-9]+/seed-[a-z]+/`)
	runDirRE  = regexp.MustCompile(`(?:/[^/ ]+)*/presenced-bench-[0-9]+/[^/ ]+/`)
)

// tidy shortens the temporary and repository paths of a command line.
func tidy(b *bench, s string) string {
	s = seedDirRE.ReplaceAllString(s, "$$SEED/")
	s = runDirRE.ReplaceAllString(s, "$$RUN/")
	if abs, err := filepath.Abs(b.repo); err == nil {
		s = strings.ReplaceAll(s, abs+"/", "")
	}
	return s
}

func relPath(repo, p string) string {
	abs, err := filepath.Abs(repo)
	if err != nil {
		return p
	}
	if r, err := filepath.Rel(abs, p); err == nil {
		return r
	}
	return p
}

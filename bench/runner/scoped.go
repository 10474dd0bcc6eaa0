package main

import (
	"fmt"
	"slices"
	"strings"
)

// The scoped-presence part of BENCHMARKS.md: rooms, watchlists and the
// global list under the same churn. The peer does not implement rooms, so
// these goals compare presenced with itself across N, or with a bound.

// scopedGoal is one row of the scoped goals table.
type scopedGoal struct {
	Figure string
	Fig    string   // a name in figures
	Unit   string   // after each value
	Keys   []string // the scenarios shown, in order of N
	// Ratio: the last key's median ÷ the first's; Spread: the largest ÷ the
	// smallest; neither: the one value against Bound.
	Ratio, Spread bool
	Bound         float64 // the goal (ratio or value ≤ Bound); 0: reported only
	GoalText      string
	Reference     bool // a baseline shown for contrast: no verdict
}

var (
	roomsKeys  = []string{"rooms-1k", "rooms-5k", "rooms-10k"}
	globalKeys = []string{"global-1k", "global-5k", "global-10k"}
)

var scopedGoals = []scopedGoal{
	{Figure: "bytes received per socket per second, rooms of 10, 1 % churn (presence frames)", Fig: "bytes_per_socket_s", Unit: "B/s",
		Keys: roomsKeys, Ratio: true, Bound: 1.2, GoalText: "N = 10,000 ≤ 1.2× N = 1,000"},
	{Figure: "the same for the global list under the same churn (baseline)", Fig: "bytes_per_socket_s", Unit: "B/s",
		Keys: globalKeys, Ratio: true, Reference: true, GoalText: "grows ≈ 10× (the contrast)"},
	{Figure: "server CPU per change, rooms of 10 (net of the server's idle CPU, measured before the churn)", Fig: "cpu_us_per_change_net", Unit: "µs",
		Keys: roomsKeys, Spread: true, Bound: 1.5, GoalText: "flat in N: largest ≤ 1.5× smallest"},
	{Figure: "the same, gross (idle CPU included: a fixed cost per second spread over 10× fewer changes at N = 1,000)", Fig: "cpu_us_per_change", Unit: "µs",
		Keys: roomsKeys, Spread: true, GoalText: "– (reported)"},
	{Figure: "server CPU per change, global list (baseline)", Fig: "cpu_us_per_change", Unit: "µs",
		Keys: globalKeys, Ratio: true, Reference: true, GoalText: "grows with N (the contrast)"},
	{Figure: "join → other members notified p99, rooms of 10, N = 10,000", Fig: "join_notify_p99", Unit: "ms",
		Keys: []string{"rooms-10k"}, Bound: 100, GoalText: "≤ 100 ms"},
	{Figure: "`presence:join` ack p99 with 1,000 rooms (rooms of 10, N = 10,000)", Fig: "join_ack_p99", Unit: "ms",
		Keys: []string{"rooms-10k"}, Bound: 20, GoalText: "≤ 20 ms"},
	{Figure: "count mode, one room of 10,000: frames per second to one member (the highest member's rate)", Fig: "count_rate_max", Unit: "/s",
		Keys: []string{"rooms-count-10k"}, Bound: 1.05, GoalText: "≤ 1 (5 % for delivery jitter)"},
	{Figure: "watchlists of 50, N = 10,000: bytes received per socket per second", Fig: "bytes_per_socket_s", Unit: "B/s",
		Keys: []string{"watch-10k"}, GoalText: "– (reported)"},
	{Figure: "watchlists of 50, N = 10,000: server CPU per change", Fig: "cpu_us_per_change", Unit: "µs",
		Keys: []string{"watch-10k"}, GoalText: "– (reported)"},
	{Figure: "watchlists of 50, N = 10,000: close or bind → watchers notified p99", Fig: "join_notify_p99", Unit: "ms",
		Keys: []string{"watch-10k"}, GoalText: "– (reported)"},
}

// nOfKey is the N a scenario key names: rooms-10k → "10,000".
func nOfKey(key string) string {
	i := strings.LastIndexByte(key, '-')
	n := strings.TrimSuffix(key[i+1:], "k")
	if n == key[i+1:] {
		return n
	}
	return n + ",000"
}

// scopedRow renders one goal row from the runs.
func scopedRow(runs []runResult, g scopedGoal) string {
	type point struct {
		key   string
		v     float64
		noisy bool
	}
	var pts []point
	var cells []string
	for _, k := range g.Keys {
		v, n, noisy := medianOf(runs, k, kindPresenced, g.Fig)
		if n == 0 {
			continue
		}
		pts = append(pts, point{k, v, noisy})
		cell := fmtNum(v) + " " + g.Unit
		if len(g.Keys) > 1 {
			cell = nOfKey(k) + ": " + cell
		}
		if noisy {
			cell += " ⚠"
		}
		cells = append(cells, strings.TrimSpace(cell))
	}
	measured := "–"
	if len(cells) > 0 {
		measured = strings.Join(cells, " · ")
	}
	if g.Reference {
		var peer []string
		for _, k := range g.Keys {
			if v, n, _ := medianOf(runs, k, kindPeer, g.Fig); n > 0 {
				peer = append(peer, nOfKey(k)+": "+strings.TrimSpace(fmtNum(v)+" "+g.Unit))
			}
		}
		if len(peer) > 0 {
			measured += " (peer " + strings.Join(peer, " · ") + ")"
		}
	}
	ratio, verdict := "–", "no data"
	val, have := 0.0, false
	switch {
	case (g.Ratio || g.Spread) && len(pts) >= 2:
		if g.Ratio {
			if first, last := pts[0], pts[len(pts)-1]; first.key == g.Keys[0] && last.key == g.Keys[len(g.Keys)-1] && first.v > 0 {
				val, have = last.v/first.v, true
			}
		} else {
			lo, hi := pts[0].v, pts[0].v
			for _, p := range pts {
				lo, hi = min(lo, p.v), max(hi, p.v)
			}
			if lo > 0 {
				val, have = hi/lo, true
			}
		}
		if have {
			ratio = fmt.Sprintf("%.2f×", val)
		}
	case !g.Ratio && !g.Spread && len(pts) == 1:
		val, have = pts[0].v, true
	}
	switch {
	case !have && len(pts) > 0:
		var at []string
		for _, p := range pts {
			at = append(at, nOfKey(p.key))
		}
		verdict = "needs every N: only " + strings.Join(at, ", ")
		if failed := failedRun(runs, g.Keys); failed != "" {
			verdict += "; " + failed
		}
	case !have:
		if failed := failedRun(runs, g.Keys); failed != "" {
			verdict = "no data: " + failed
		}
	case g.Reference:
		verdict = "baseline"
	case g.Bound == 0:
		verdict = "reported"
	case val <= g.Bound:
		verdict = "**goal met**"
	default:
		verdict = "**MISSED**"
	}
	return fmt.Sprintf("| %s | %s | %s | %s | %s |", g.Figure, measured, ratio, g.GoalText, verdict)
}

// failedRun names the first failed presenced run of keys, if any.
func failedRun(runs []runResult, keys []string) string {
	for _, r := range runs {
		if r.Failed && r.Kind == kindPresenced && slices.Contains(keys, r.Scenario) {
			return fmt.Sprintf("`%s` failed (%s)", r.Scenario, oneLine(r.Reason, 160))
		}
	}
	return ""
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	s = strings.ReplaceAll(s, "|", "/")
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}

func hasRuns(runs []runResult, group string, plan []scenario) bool {
	keys := map[string]bool{}
	for _, sc := range plan {
		if sc.Group == group {
			keys[sc.Key] = true
		}
	}
	for _, r := range runs {
		if keys[r.Scenario] {
			return true
		}
	}
	return false
}

func writeScopedGoals(w *strings.Builder, b *bench) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	p("## Goals: rooms and watchlists (presenced only, medians, same run)")
	p("")
	p("The Node peer does not implement rooms or watchlists: these scenarios run presenced only, and the claim is how its")
	p("figures move with N (or a bound), beside the global list under the same churn — the baseline, which the peer also ran")
	p("where that is cheap (N ≤ 5,000).")
	p("")
	p("| figure | measured | ratio or bound | goal | verdict |")
	p("|---|---|---|---|---|")
	for _, g := range scopedGoals {
		p("%s", scopedRow(b.runs, g))
	}
	p("")
}

func writeScopedMethod(w *strings.Builder) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	p("- **Rooms, watchlists and the baseline (`rooms-*`, `rooms-count-10k`, `watch-10k`, `global-*`).** N sockets of N distinct users (a seed of %s users, bound by their long-lived tokens). "+
		"The servers run with a sweep every 30 s (the same in every scenario, not what is measured), `-offline-grace 1ms`, and for rooms and watchlists `%s` (rooms and watchlists only); the baseline keeps the global list. "+
		"Each socket is put in scope first (`presence:join` of its room, or `presence:watch` of the next 50 sockets' users, each acked `ok`; for the baseline, every socket's full list showing all N online), "+
		"the server then idles 2 s (its idle CPU), and the churn runs through 2 s of warm-up and the window: 1 %% of N a second, each a leave followed 500 ms later by the rejoin — "+
		"`presence:leave` / `presence:join` (rooms), close / a new socket bound and watching again (watchlists), `ng-action` logout / login with the same token (baseline). "+
		"A change is a leave or a rejoin sent in the window. Bytes and frames received per socket per second: websocket payload bytes of every frame the N sockets received in the window ÷ N ÷ seconds, "+
		"counting presence frames only (updates, watch updates, acks, errors; not the sweep's pings, Engine.IO pings or CONNECT replies) — every kind is in the tables. "+
		"Server CPU per change: the server's CPU over the window (the sum of its threads' `/proc/PID/task/*/schedstat`, in ns: at N = 1,000 a window costs only a few of `/proc/PID/stat`'s 10 ms ticks; the stat figure is in the JSON beside it) ÷ changes; "+
		"the net figure subtracts the idle rate. Join → notified: from the moment a socket sent its join (bind, login) to each other member's (watcher's) receipt of the `presence:update` "+
		"(`presence:watch_update`, `update_user_online`) naming it, every member timed (the baseline: 1,000 observer sockets), coverage = notifications ÷ those expected from who was in scope. "+
		"Count mode: each member's rate of `presence:update` frames over the window, (frames − 1) ÷ (last − first), and the highest of the members' (the shortest gap between two frames is in the table: it includes the spread of a 10,000-frame fan-out, so a server that sends once a second shows gaps under a second). "+
		"Any refused ack, server error, protocol error or socket closed by the server fails the run (non-zero exit, the reasons kept); a server without the events is told at once by a probe socket.", comma(scopedN), strings.Join(roomsServerFlags, " "))
	p("- **The baseline at N = 10,000 saturates this machine**: the connect storm alone sends every socket every other user's join and its own full list (≈ 13 GB), and under the churn both the server and the load generator run at a full core, so its bytes per socket are a lower bound of what the global list would send (coalescing grows with the backlog) and its latency is queueing.")
}

// writeScopedScenario is a scoped scenario's table.
func writeScopedScenario(w *strings.Builder, b *bench, sc scenario, runs []runResult) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	p("| server | run | connected | setup s | changes/s | presence B/socket/s | frames/socket/s | µs CPU/change (net) | join → notified p50 / p99 ms (coverage) | join ack p99 ms | count: highest rate/s, shortest gap ms | load gen cores | errors | others (cores) | accepted |")
	p("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range runs {
		acc := "yes"
		if r.Failed {
			acc = "failed: " + oneLine(r.Reason, 200)
		} else if !r.Accepted {
			acc = "no"
		}
		rep := r.Report
		if rep == nil || rep.Scoped == nil {
			p("| %s | %d | %s |", r.Kind, r.Run, acc)
			continue
		}
		s := rep.Scoped
		changes, bytes, frames, cpu, notify, ack, count, self := "–", "–", "–", "–", "–", "–", "–", "–"
		if wd := s.Window; wd != nil {
			changes, bytes, frames = fmtNum(wd.ChangesPerSec), fmtNum(wd.BytesPerSocketSec), fmtNum(wd.FramesPerSocketSec)
			if wd.CPUPerChange > 0 {
				cpu = fmtNum(wd.CPUPerChange) + " (" + fmtNum(wd.NetCPUPerChange) + ")"
			}
			if wd.JoinNotify.Count > 0 {
				notify = fmt.Sprintf("%s / %s (%.2f)", fmtNum(wd.JoinNotify.P50), fmtNum(wd.JoinNotify.P99), wd.JoinCoverage)
			}
			if a, ok := wd.Acks["join"]; ok && a.Latency.Count > 0 {
				ack = fmtNum(a.Latency.P99)
			} else if a, ok := wd.Acks["login"]; ok && a.Latency.Count > 0 {
				ack = fmtNum(a.Latency.P99) + " (login)"
			} else if a, ok := wd.Acks["watch"]; ok && a.Latency.Count > 0 {
				ack = fmtNum(a.Latency.P99) + " (watch)"
			}
			if c := wd.Count; c != nil {
				count = fmt.Sprintf("%s, %s", fmtNum(c.MaxRatePerMember), fmtNum(c.MinGapMS))
			}
			self = fmt.Sprintf("%.2f", wd.SelfCores)
		}
		p("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %d | %.2f | %s |", r.Kind, r.Run, comma(int(rep.Connect.Connected)),
			fmtNum(s.Setup.Seconds), changes, bytes, frames, cpu, notify, ack, count, self, rep.ErrorTotal, r.Others, acc)
	}
	p("")
	for _, kind := range []string{kindPresenced, kindPeer} {
		for _, r := range runs {
			if r.Kind != kind || r.Report == nil || r.Report.Scoped == nil || r.Report.Scoped.Window == nil {
				continue
			}
			p("- received per socket per second by kind, %s run %d: %s", kind, r.Run, byKind(r.Report.Scoped.Window.Traffic.ByKind))
			break
		}
	}
	for _, r := range runs {
		if r.Report != nil && len(r.Report.Failures) > 0 {
			p("- %s run %d failed: %s", r.Kind, r.Run, oneLine(strings.Join(r.Report.Failures, "; "), 400))
		}
	}
}

// byKind lists a run's traffic by kind, largest first.
func byKind(m map[string]kindTraffic) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if d := m[b].BytesPerSocketSec - m[a].BytesPerSocketSec; d != 0 {
			if d > 0 {
				return 1
			}
			return -1
		}
		return strings.Compare(a, b)
	})
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("`%s` %s B (%s frames)", k, fmtNum(m[k].BytesPerSocketSec), fmtNum(m[k].FramesPerSocketSec)))
	}
	return strings.Join(parts, ", ")
}

// scopedSummary is the log line of a scoped run.
func scopedSummary(r *loadReport) string {
	s := r.Scoped
	w := s.Window
	if w == nil {
		return fmt.Sprintf("connected %d, setup %d ok in %.2fs, no window, errors %d %s", r.Connect.Connected, s.Setup.OK, s.Setup.Seconds, r.ErrorTotal, strings.Join(r.Failures, "; "))
	}
	out := fmt.Sprintf("%s changes/s, %s B and %s frames per socket/s, %s µs/change (net %s), join→notified p99 %sms, others %.2f, errors %d",
		fmtNum(w.ChangesPerSec), fmtNum(w.BytesPerSocketSec), fmtNum(w.FramesPerSocketSec), fmtNum(w.CPUPerChange), fmtNum(w.NetCPUPerChange),
		fmtNum(w.JoinNotify.P99), w.OthersCores, r.ErrorTotal)
	if a, ok := w.Acks["join"]; ok {
		out += ", join ack p99 " + fmtNum(a.Latency.P99) + "ms"
	}
	if c := w.Count; c != nil {
		out += fmt.Sprintf(", count frames at most %s/s to a member", fmtNum(c.MaxRatePerMember))
	}
	return out
}

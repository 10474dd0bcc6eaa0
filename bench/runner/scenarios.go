package main

import (
	"slices"
	"strings"
	"time"
)

// A scenario is one measurement, run alternately on presenced and the peer.
type scenario struct {
	Key   string
	Title string
	Runs  int
	Kinds []string // servers it runs on; empty: both
	// server flags
	Ping  string // -ping-interval
	Grace string // -offline-grace; empty: the default (2s)
	Cost  int    // -bcrypt-cost of the server process; seeded users were hashed at cost 4
	// load generator flags (besides -url -pid -tokens -json -progress -src)
	Load []string
	// Estimate bounds the budget check: a run is skipped when less remains.
	Estimate time.Duration
	// Group is the plan the scenario belongs to: planCore (presenced beside
	// the peer), planScoped (rooms and watchlists, the scoped-presence issue)
	// or planStack (idle cost and CPU per pong, the lean-stack issue). Also
	// lists further plans that run it (pongs-10k is in core and stack).
	Group string
	Also  []string
	// Idle marks the idle scenarios: N bound sockets answering the default
	// sweep, no other traffic (their own table: CPU per socket per second).
	Idle bool
	// ServerFlags are presenced's own extra flags (the peer gets none).
	ServerFlags []string
	// Users is the seed the scenario needs: 0 the default template (seedUsers
	// users and seedProbes probes), else a template of that many users.
	Users int
}

const (
	kindPresenced = "presenced"
	kindPeer      = "peer"
	seedUsers     = 200
	seedProbes    = 20
	tabCloses     = 5 // probes closed in the storm scenario's window
	offeredPongs  = 40_000
)

// scenarios returns the plan: the full one (make bench, under 10 minutes)
// or the quick smoke run (BENCH_QUICK=1, about 2 minutes), most important
// first (the time budget skips what does not fit).
func scenarios(quick bool) []scenario {
	runs, window, hold, stormN, holdN := 3, "3s", "60s", 10000, 19000
	if quick { // a smoke run: one round, smaller storm and hold
		runs, window, hold, stormN, holdN = 1, "3s", "5s", 3000, 5000
	}
	// Throughput: the sweep offers well above either server's capacity on
	// this kind of machine (N ÷ ping interval = offeredPongs/s, 2–3× what
	// either sustains on one core here); the window counts what each sustains
	// and what it costs. Sockets open their websockets first and bind after
	// (-preopen), so that connecting does not crawl under the sweep.
	pongs := func(n int, syscalls bool) scenario {
		s := scenario{
			Key: "pongs-" + kilo(n), Title: "ping/pong throughput, " + comma(n) + " bound sockets, sweep every " + pingFor(n, offeredPongs),
			Runs: runs, Ping: pingFor(n, offeredPongs),
			Load:     []string{"-n", itoa(n), "-preopen", "-warmup", "1s", "-duration", window},
			Estimate: time.Duration(6+n/700) * time.Second,
		}
		if syscalls {
			s.Load = append(s.Load, "-syscalls", "2s")
		}
		return s
	}
	out := []scenario{pongs(10000, true), pongs(5000, quick)}
	if quick {
		out = out[1:]
	}
	out = append(out,
		scenario{
			Key: "storm-10k", Title: "connect storm: " + comma(stormN) + " logins + binds, 100 in flight (bcrypt cost 4 on both), then memory, fan-out and tab-close latency with a sweep every 2 s",
			Runs: runs, Ping: "2s", Grace: "1ms",
			Load: []string{"-n", itoa(stormN), "-login", "-inflight", "100", "-probes", itoa(tabCloses), "-settle-timeout", "60s",
				"-warmup", "1s", "-duration", "5s"},
			Estimate: time.Duration(5+stormN/200) * time.Second,
		},
		scenario{
			Key: "http", Title: "logins/s (bcrypt cost 10 on both) and authenticated GET /api/me/",
			Runs: runs, Ping: "10s", Cost: 10,
			Load:     []string{"-mode", "http", "-login-conc", "4", "-get-conc", "32", "-duration", map[bool]string{false: "3s", true: "2s"}[quick]},
			Estimate: 12 * time.Second,
		},
		scenario{
			Key: "hold-19k", Title: comma(holdN) + " bound sockets held in one process, sweep every 2 s (presenced only)",
			Runs: 1, Ping: "2s", Grace: "1ms", Kinds: []string{kindPresenced},
			Load:     []string{"-n", itoa(holdN), "-preopen", "-warmup", "2s", "-duration", hold},
			Estimate: time.Duration(map[bool]int{false: 80, true: 15}[quick]) * time.Second,
		},
		scenario{
			Key: "hammer", Title: "unsolicited pongs: 200 sockets, 10 pings/s, 50 extra pongs/s each (answers ask for acks)",
			Runs: 1, Ping: "100ms",
			Load:     []string{"-n", "200", "-preopen", "-hammer", "50", "-ack-pongs", "-warmup", "2s", "-duration", "3s"},
			Estimate: 8 * time.Second,
		},
		pongs(1000, false),
	)
	for i := range out {
		out[i].Group = planCore
		if out[i].Key == "pongs-10k" {
			out[i].Also = []string{planStack}
		}
	}
	out = append(out, stackScenarios(quick)...)
	return append(out, scopedScenarios(quick)...)
}

// idleSweep and idleWindow are the idle scenarios' sweep (presenced's
// default -ping-interval; Engine.IO pings every 25 s on both servers, their
// default) and window: 30 s holds exactly three sweeps wherever it starts,
// and one or two Engine.IO pings per socket (quick: 20 s, two sweeps).
const idleSweep = "10s"

func idleWindow(quick bool) string { return map[bool]string{false: "30s", true: "20s"}[quick] }

// spaced writes a duration in seconds as text: "30s" → "30 s".
func spaced(d string) string { return strings.TrimSuffix(d, "s") + " s" }

// stackScenarios is the lean-stack plan (issue 16), besides pongs-10k which
// core also runs: ping/pong at N = 2,000, and N = 1,000 and 10,000 bound
// sockets left idle under the default sweep — idle CPU per socket per
// second, and from the same runs the marginal RSS per socket.
func stackScenarios(quick bool) []scenario {
	runs := 3
	if quick {
		runs = 1
	}
	window := idleWindow(quick)
	idle := func(n int) scenario {
		return scenario{
			Key: "idle-" + kilo(n), Title: comma(n) + " bound sockets left idle, answering the default sweep (every " + spaced(idleSweep) + ", Engine.IO ping every 25 s), no other traffic, " + spaced(window) + " window",
			Runs: runs, Ping: idleSweep, Idle: true,
			// 3 s of warm-up: the binds' presence diffs are out and the connect
			// phase's garbage had a chance to go before the window.
			Load:     []string{"-n", itoa(n), "-preopen", "-warmup", "3s", "-duration", window},
			Estimate: time.Duration(45+n/400) * time.Second,
		}
	}
	p := scenario{
		Key: "pongs-2k", Title: "ping/pong throughput, 2,000 bound sockets, sweep every " + pingFor(2000, offeredPongs),
		Runs: runs, Ping: pingFor(2000, offeredPongs),
		Load:     []string{"-n", "2000", "-preopen", "-warmup", "1s", "-duration", "3s"},
		Estimate: 9 * time.Second,
	}
	// The same idle runs of presenced with -ws-park-idle (idle websockets parked in
	// an epoll set, no goroutine each): what the option saves and costs.
	parked := func(n int) scenario {
		sc := idle(n)
		sc.Key += "-parked"
		sc.Title = comma(n) + " bound sockets left idle as in idle-" + kilo(n) + ", presenced with -ws-park-idle (presenced only)"
		sc.Kinds, sc.ServerFlags = []string{kindPresenced}, []string{"-ws-park-idle"}
		return sc
	}
	out := []scenario{idle(10000), idle(1000), p, parked(10000), parked(1000)}
	for i := range out {
		out[i].Group = planStack
	}
	return out
}

// Plans: which scenarios a run of the bench holds (-plan).
const (
	planCore   = "core"   // presenced beside the peer: the original plan
	planScoped = "scoped" // rooms, watchlists and the global list under the same churn
	planStack  = "stack"  // idle cost and CPU per pong beside the peer (issue 16); pongs-10k too
	planAll    = "all"
)

// scopedN is the largest N of the scoped scenarios, and the size of their
// seed (N sockets of N users).
const scopedN = 10000

// roomsServerFlags are presenced's flags for the rooms and watch scenarios:
// the contract's defaults, said explicitly, and no global list (rooms and
// watchlists only: the global list is the baseline's).
var roomsServerFlags = []string{"-room-list-max", "1000", "-max-rooms-per-socket", "100", "-global-presence", "off"}

// scopedScenarios is the scoped-presence plan: rooms of 10 at N = 1,000,
// 5,000 and 10,000 with 1 % of the sockets leaving and rejoining each
// second, the global list under the same churn at the same N (the
// baseline: sockets only bound, unbinding and rebinding), one room of
// 10,000 in count mode, and a watchlist of 50 per socket. The peer does not
// implement rooms; it runs the baseline where that is cheap (N ≤ 5,000).
func scopedScenarios(quick bool) []scenario {
	runs, window := 3, "8s"
	if quick {
		runs, window = 1, "4s"
	}
	// Every scoped run: a sweep every 30 s (the sweep is the same in every
	// scenario and not what is measured), a leave's grace of 1 ms (a 500 ms
	// hold between a leave and its rejoin then shows both), 2 s of idle
	// server (CPU per change net of it), 2 s of warm-up with the churn.
	load := func(mode string, n int, extra ...string) []string {
		return append([]string{"-mode", mode, "-n", itoa(n), "-churn-pct", "1", "-churn-hold", "500ms", "-preopen",
			"-idle", "2s", "-warmup", "2s", "-duration", window}, extra...)
	}
	rooms := func(n int) scenario {
		return scenario{
			Key: "rooms-" + kilo(n), Title: "rooms of 10: " + comma(n) + " sockets of " + comma(n) + " users, 1 % leave and rejoin their room each second (presenced only)",
			Runs: runs, Kinds: []string{kindPresenced}, Ping: "30s", Grace: "1ms", Users: scopedN, ServerFlags: roomsServerFlags,
			Load:     load("rooms", n, "-room-size", "10", "-room-mode", "list"),
			Estimate: time.Duration(14+n/500) * time.Second,
		}
	}
	global := func(n int) scenario {
		kinds := []string{kindPresenced, kindPeer}
		if n > 5000 {
			kinds = kinds[:1] // the peer's connect storm of N full lists takes minutes here
		}
		return scenario{
			Key: "global-" + kilo(n), Title: "the global list under the same churn: " + comma(n) + " sockets of " + comma(n) + " users, only bound, 1 % unbind (ng-action logout) and rebind (login) each second",
			Runs: 1, Kinds: kinds, Ping: "30s", Grace: "1ms", Users: scopedN,
			Load:     load("global", n, "-churn-by", "logout", "-settle-timeout", "120s", "-connect-timeout", "180s"),
			Estimate: time.Duration(16+n*n/2_000_000) * time.Second,
		}
	}
	out := []scenario{rooms(1000), rooms(5000), rooms(10000), global(1000), global(5000), global(10000)}
	if quick { // a smoke run: the ends of the range, no baseline beyond 1,000
		out = []scenario{rooms(1000), rooms(10000), global(1000)}
	}
	out = append(out,
		scenario{
			Key: "rooms-count-10k", Title: "one room of 10,000 in count mode: 10,000 sockets of 10,000 users, 1 % leave and rejoin each second (presenced only)",
			Runs: 1, Kinds: []string{kindPresenced}, Ping: "30s", Grace: "1ms", Users: scopedN, ServerFlags: roomsServerFlags,
			Load:     load("rooms", 10000, "-room-size", "0", "-room-mode", "count", "-settle-timeout", "60s"),
			Estimate: 35 * time.Second,
		},
		scenario{
			Key: "watch-10k", Title: "watchlists: 10,000 sockets of 10,000 users, each watching 50 others, 1 % of the sockets closing and reopening each second (presenced only)",
			Runs: 1, Kinds: []string{kindPresenced}, Ping: "30s", Grace: "1ms", Users: scopedN, ServerFlags: roomsServerFlags,
			Load:     load("watch", 10000, "-watch", "50"),
			Estimate: 40 * time.Second,
		},
	)
	for i := range out {
		out[i].Group = planScoped
	}
	return out
}

// inPlan reports whether sc belongs to plan.
func inPlan(sc scenario, plan string) bool {
	return plan == planAll || sc.Group == plan || slices.Contains(sc.Also, plan)
}

// pingFor is the sweep period that offers about rate pongs/s from n sockets.
func pingFor(n, rate int) string {
	ms := max(1, n*1000/rate)
	return itoa(ms) + "ms"
}

// defaultBudget is the time budget of a plan: each plan's scenarios with
// their rounds fit it on this kind of machine, with the quiet-machine waits.
func defaultBudget(plan string, quick bool) time.Duration {
	core := map[bool]time.Duration{false: 9*time.Minute + 20*time.Second, true: 150 * time.Second}[quick]
	scoped := map[bool]time.Duration{false: 9 * time.Minute, true: 3*time.Minute + 30*time.Second}[quick]
	// stack: three rounds of idle-10k, idle-1k (≈ 55 and 45 s a run with
	// the quiet waits) and pongs-2k on both servers, plus pongs-10k's three
	// rounds when the plan runs alone (in all, core has it).
	// The -parked idle runs (presenced only) add about 5 minutes.
	stack := map[bool]time.Duration{false: 16 * time.Minute, true: 3*time.Minute + 30*time.Second}[quick]
	switch plan {
	case planCore:
		return core
	case planScoped:
		return scoped
	case planStack:
		return stack + map[bool]time.Duration{false: 2 * time.Minute, true: 0}[quick]
	}
	return core + scoped + stack
}

// planned is the scenarios this run holds: the plan's, less those -only
// leaves out.
func (b *bench) planned() []scenario {
	var out []scenario
	for _, sc := range scenarios(b.quick) {
		if inPlan(sc, b.plan) && (b.only == nil || b.only[sc.Key]) {
			out = append(out, sc)
		}
	}
	return out
}

package main

import "time"

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
	return out
}

// pingFor is the sweep period that offers about rate pongs/s from n sockets.
func pingFor(n, rate int) string {
	ms := max(1, n*1000/rate)
	return itoa(ms) + "ms"
}

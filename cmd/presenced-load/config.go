package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Modes of a run.
const (
	modeSockets = "sockets" // connect N sockets, measure (default)
	modeSeed    = "seed"    // register users, write their tokens to a file
	modeHTTP    = "http"    // logins/s and authenticated GETs/s
	modeRooms   = "rooms"   // N sockets of N users in rooms, leaving and rejoining
	modeWatch   = "watch"   // N sockets of N users, each watching -watch others, closing and reopening
	modeGlobal  = "global"  // N sockets of N users, only bound, unbinding and rebinding: the global list
)

// scoped reports whether mode is one of the scoped-presence modes (rooms,
// watch and their baseline, global): N sockets of N distinct users, churn
// as leave + rejoin, traffic and CPU per change.
func scoped(mode string) bool { return mode == modeRooms || mode == modeWatch || mode == modeGlobal }

// Churn of the global mode: how a bound socket leaves the list and returns.
const (
	churnByLogout = "logout" // ng-action logout, then ng-action login with the same token
	churnByClose  = "close"  // close the socket, then open and bind a new one
)

// config is every flag. Zero values are documented defaults; validate fills
// the derived ones.
type config struct {
	Mode   string
	URL    string // server base URL, http://127.0.0.1:8888
	PID    int    // server pid for /proc figures; 0: none
	Tokens string // seed file (read in sockets mode, written in seed mode)
	Path   string // Socket.IO path

	N        int // connections
	Users    int // users the connections are spread over (seed: users to register)
	Probes   int // seed: single-socket users for tab-close; sockets: how many to close
	Login    bool
	Preopen  bool
	Inflight int

	ConnectTimeout time.Duration
	SettleTimeout  time.Duration
	Warmup         time.Duration
	Duration       time.Duration
	Syscalls       time.Duration
	MaxTime        time.Duration
	Sample         time.Duration // soak: sample server RSS/goroutines this often
	ExpectCount    int           // settled: an update with at least this count (0: users in use)

	Hammer   float64 // unsolicited pongs per socket per second
	AckPongs bool    // answers ask for an ack: refused answers are counted
	Churn    float64 // connections closed and reopened per second (scoped modes: leaves + rejoins per second)

	// scoped modes (rooms, watch, global)
	ChurnPct   float64       // churn as a percentage of -n per second (overrides Churn)
	ChurnHold  time.Duration // time between a leave and its rejoin
	ChurnBy    string        // global: logout or close
	RoomSize   int           // sockets per room; 0: one room of all
	RoomMode   string        // list or count
	RoomPrefix string        // room names: PREFIX-00000 …
	Watch      int           // watch mode: users each socket watches
	Idle       time.Duration // before the churn: the server's idle CPU is measured this long

	Src      string // first source address
	PerSrc   int    // connections per source address
	Prefix   string // seed / http: username prefix
	HTTPConc int    // http mode: concurrent logins
	GetConc  int    // http mode: concurrent GETs
	GetPath  string

	JSON     bool
	Progress time.Duration
	CPUProf  string // this process's CPU profile
	Mark     string // file created when the window opens

	host string // host:port of URL
}

func newFlagSet(c *config, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("presenced-load", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.Mode, "mode", modeSockets, "sockets: connect and measure; seed: register users and write -tokens; http: logins/s and GETs/s;\n"+
		"rooms: N sockets of N users in rooms, leaving and rejoining; watch: each socket watches -watch others, sockets close and reopen;\n"+
		"global: the baseline, sockets only bound, unbinding and rebinding (the global list under the same churn)")
	fs.StringVar(&c.URL, "url", "http://127.0.0.1:8888", "server base URL (loopback only)")
	fs.IntVar(&c.PID, "pid", 0, "server process id: its CPU and RSS are read from /proc")
	fs.StringVar(&c.Tokens, "tokens", "", "seed file: written by -mode seed, read by the other modes; without it, sockets, rooms, watch and global\n"+
		"register the accounts they need first (fresh names under -prefix; the server needs -register-rate 0 beyond 10 a minute)")
	fs.StringVar(&c.Path, "path", "/socket.io/", "Socket.IO path")
	fs.IntVar(&c.N, "n", 100, "bound connections")
	fs.IntVar(&c.Users, "users", 0, "users the connections are spread over (default all in the seed file; without -tokens, min(-n, 200) and at least -n/20 are registered);\n"+
		"seed: users to register (default 200)")
	fs.IntVar(&c.Probes, "probes", 0, "seed: extra single-socket users to register; sockets: probe sockets closed one by one during the window (tab-close latency)")
	fs.BoolVar(&c.Login, "login", false, "get each connection's token by an HTTP login first (connect storm: logins + binds)")
	fs.BoolVar(&c.Preopen, "preopen", false, "open every websocket first, then send the CONNECTs (binds): the sweep's load does not slow the handshakes")
	fs.IntVar(&c.Inflight, "inflight", 100, "connections (or logins) in flight at once")
	fs.DurationVar(&c.ConnectTimeout, "connect-timeout", 120*time.Second, "bound on the connect phase (and, without -tokens, on registering the accounts first)")
	fs.DurationVar(&c.SettleTimeout, "settle-timeout", 30*time.Second, "bound on waiting for every socket's first update")
	fs.DurationVar(&c.Warmup, "warmup", 2*time.Second, "after settling, this long before the window opens, not measured (rooms, watch, global: the churn runs during it)")
	fs.DurationVar(&c.Duration, "duration", 10*time.Second, "the measured window: it opens after the connect phase, the settling and -warmup (rooms, watch, global: also the setup\n"+
		"and -idle), and the report's rates are over it; it is longer only while a tab-close probe (-probes) still waits for its observers\n"+
		"(up to 3s; the report gives its real length). http mode: logins for -duration, then GETs for -duration. 0: connect and settle only")
	fs.DurationVar(&c.Syscalls, "syscalls", 0, "after the window, count the server's system calls for this long (perf, else /proc/PID/io)")
	fs.DurationVar(&c.MaxTime, "max-time", 0, "hard bound on the whole run (default: the phases' bounds + 1m)")
	fs.DurationVar(&c.Sample, "sample", 0, "during the window, sample the server's RSS and goroutines this often (soak)")
	fs.IntVar(&c.ExpectCount, "expect-count", 0, "a socket is settled when an update says at least this many users are online (default: the users in use)")
	fs.Float64Var(&c.Hammer, "hammer", 0, "unsolicited pongs per socket per second, besides answering every ping")
	fs.BoolVar(&c.AckPongs, "ack-pongs", false, "answer pings with an ack id, to count answers the server refused (rate limit)")
	fs.Float64Var(&c.Churn, "churn", 0, "connections closed and reopened per second during the window (rooms, watch, global: leaves + rejoins per second)")
	fs.Float64Var(&c.ChurnPct, "churn-pct", 0, "rooms, watch, global: churn as a percentage of -n per second (1: 1 % of the sockets leave and rejoin each second)")
	fs.DurationVar(&c.ChurnHold, "churn-hold", 500*time.Millisecond, "rooms, watch, global: time between a leave and its rejoin (run the server with a shorter -offline-grace)")
	fs.StringVar(&c.ChurnBy, "churn-by", churnByLogout, "global: how a socket leaves and returns: logout (ng-action logout, then login) or close (close, then a new socket)")
	fs.IntVar(&c.RoomSize, "room-size", 10, "rooms: sockets per room (0: one room of all -n)")
	fs.StringVar(&c.RoomMode, "room-mode", "list", "rooms: the mode presence:join asks for, list or count")
	fs.StringVar(&c.RoomPrefix, "room-prefix", "public:bench", "rooms: room names are PREFIX-00000, PREFIX-00001 … (public:… rooms need no room token)")
	fs.IntVar(&c.Watch, "watch", 50, "watch: users each socket watches (socket i watches the users of sockets i+1 … i+K)")
	fs.DurationVar(&c.Idle, "idle", 0, "rooms, watch, global: before the churn starts, measure the server's idle CPU this long (CPU per change net of it)")
	fs.StringVar(&c.Src, "src", "127.0.0.2", "first source address; more follow (127.0.0.3 …) every -per-src connections")
	fs.IntVar(&c.PerSrc, "per-src", 20000, "connections per source address")
	fs.StringVar(&c.Prefix, "prefix", "bench", "username prefix of the accounts registered by -mode seed, -mode http and runs without -tokens (those two add a random number)")
	fs.IntVar(&c.HTTPConc, "login-conc", 4, "http mode: logins in flight")
	fs.IntVar(&c.GetConc, "get-conc", 32, "http mode: GET connections")
	fs.StringVar(&c.GetPath, "get-path", "/api/me/", "http mode: the authenticated GET")
	fs.BoolVar(&c.JSON, "json", false, "print the summary as JSON on stdout")
	fs.DurationVar(&c.Progress, "progress", time.Second, "period of the progress line on stderr (0: none); each count is labelled: phase=, window=time into the window,\n"+
		"open=websockets open now/wanted, connected=CONNECTs accepted so far, pings/s= pongs/s= updates/s= since the last line, errors=so far by kind")
	fs.StringVar(&c.Mark, "mark", "", "create this file when the measurement window opens (lets a profiler start then)")
	fs.StringVar(&c.CPUProf, "cpuprofile", "", "write this load generator's CPU profile to the file")
	fs.Usage = func() {
		fmt.Fprintf(out, "Usage: presenced-load [flags]\n\n"+
			"A lean Engine.IO v4 / Socket.IO v5 load generator for presenced and its peer.\n"+
			"  presenced-load -url URL -n 100 -duration 10s   (registers the users it needs: the server needs -register-rate 0)\n"+
			"  presenced-load -mode seed -url URL -users 200 -probes 20 -tokens seed.json\n"+
			"  presenced-load -url URL -tokens seed.json -n 10000 -pid SERVERPID -json\n"+
			"  presenced-load -mode http -url URL -pid SERVERPID\n"+
			"  presenced-load -mode rooms -url URL -tokens seed.json -n 1000 -room-size 10 -churn-pct 1 -pid SERVERPID\n"+
			"  presenced-load -mode rooms -url URL -tokens seed.json -n 10000 -room-size 0 -room-mode count -churn-pct 1\n"+
			"  presenced-load -mode watch -url URL -tokens seed.json -n 1000 -watch 50 -churn-pct 1\n"+
			"  presenced-load -mode global -url URL -tokens seed.json -n 1000 -churn-pct 1   (the baseline)\n\nFlags:\n")
		fs.PrintDefaults()
	}
	return fs
}

func parseConfig(args []string, out io.Writer) (*config, error) {
	c := &config{}
	fs := newFlagSet(c, out)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return c, c.validate()
}

var errUsage = errors.New("usage")

func usagef(format string, a ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, a...))
}

func (c *config) validate() error {
	switch c.Mode {
	case modeSockets, modeSeed, modeHTTP, modeRooms, modeWatch, modeGlobal:
	default:
		return usagef("-mode %q: want sockets, seed, http, rooms, watch or global", c.Mode)
	}
	u, err := url.Parse(c.URL)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return usagef("-url %q: want http://host:port", c.URL)
	}
	if err := loopbackOnly(u.Hostname()); err != nil {
		return err
	}
	c.host = u.Host
	if u.Port() == "" {
		c.host = net.JoinHostPort(u.Hostname(), "80")
	}
	c.URL = strings.TrimSuffix(c.URL, "/")
	if c.Src != "" {
		if err := loopbackOnly(c.Src); err != nil {
			return err
		}
		if net.ParseIP(c.Src).To4() == nil {
			return usagef("-src %q: want an IPv4 loopback address", c.Src)
		}
	}
	switch {
	case c.N < 1 && (c.Mode == modeSockets || scoped(c.Mode)):
		return usagef("-n must be at least 1")
	case c.N > 19_990:
		return usagef("-n %d: one process holds at most ~19,990 sockets here (20,000 open files)", c.N)
	case c.Inflight < 1 || c.HTTPConc < 1 || c.GetConc < 1:
		return usagef("-inflight, -login-conc and -get-conc must be at least 1")
	case c.PerSrc < 1 || c.PerSrc > 28_000:
		return usagef("-per-src must be within 1–28,000 (ephemeral ports per address)")
	case c.Hammer < 0 || c.Churn < 0 || c.Users < 0 || c.Probes < 0 || c.ExpectCount < 0:
		return usagef("-hammer, -churn, -users, -probes and -expect-count must not be negative")
	case c.Duration < 0 || c.Warmup < 0 || c.Syscalls < 0 || c.Sample < 0:
		return usagef("durations must not be negative")
	case c.Churn > 0 && c.Hammer > 0:
		return usagef("-churn and -hammer do not mix")
	case c.Churn > 0 && c.Probes > 0:
		return usagef("-churn and -probes do not mix: churned sockets would miss the probes' leaves")
	case c.Mode == modeSeed && c.Tokens == "":
		return usagef("-tokens is required in seed mode (the file it writes)")
	}
	if scoped(c.Mode) {
		if err := c.validateScoped(); err != nil {
			return err
		}
	}
	if c.Mode == modeSeed && c.Users == 0 {
		c.Users = 200
	}
	if c.N+c.Probes > 19_990 {
		return usagef("-n + -probes = %d: one process holds at most ~19,990 sockets", c.N+c.Probes)
	}
	if c.MaxTime == 0 {
		c.MaxTime = c.ConnectTimeout + c.SettleTimeout + c.Idle + c.Warmup + c.Duration + c.Syscalls + time.Minute
		if c.Tokens == "" && c.Mode != modeHTTP {
			c.MaxTime += c.ConnectTimeout // registering the accounts first
		}
		if c.Mode == modeHTTP {
			c.MaxTime = 2*c.Duration + 2*time.Minute
		}
	}
	return nil
}

// validateScoped checks the flags of the rooms, watch and global modes and
// turns -churn-pct into -churn.
func (c *config) validateScoped() error {
	switch {
	case c.Probes > 0 || c.Hammer > 0 || c.Login || c.Syscalls > 0:
		return usagef("-probes, -hammer, -login and -syscalls are for -mode sockets, not %s", c.Mode)
	case c.Users != 0 && c.Users != c.N:
		return usagef("-users %d: %s mode runs N sockets of N users (leave -users out)", c.Users, c.Mode)
	case c.ChurnPct < 0 || c.ChurnPct > 100:
		return usagef("-churn-pct %v: want 0–100", c.ChurnPct)
	case c.ChurnHold <= 0 || c.ChurnHold > time.Minute:
		return usagef("-churn-hold %v: want more than 0 and at most 1m", c.ChurnHold)
	case c.Idle < 0:
		return usagef("durations must not be negative")
	}
	if c.ChurnPct > 0 {
		c.Churn = c.ChurnPct * float64(c.N) / 100
	}
	switch c.Mode {
	case modeRooms:
		if c.RoomSize < 0 || c.RoomSize > c.N {
			return usagef("-room-size %d: want 0 (one room) to -n (%d)", c.RoomSize, c.N)
		}
		if c.RoomMode != "list" && c.RoomMode != "count" {
			return usagef("-room-mode %q: want list or count", c.RoomMode)
		}
		if !roomNameRE.MatchString(roomName(c.RoomPrefix, c.N)) {
			return usagef("-room-prefix %q: room names must match %s", c.RoomPrefix, roomNameRE)
		}
	case modeWatch:
		if c.Watch < 1 || c.Watch >= c.N || c.Watch > 1000 {
			return usagef("-watch %d: want 1 to min(-n − 1, 1000)", c.Watch)
		}
	case modeGlobal:
		if c.ChurnBy != churnByLogout && c.ChurnBy != churnByClose {
			return usagef("-churn-by %q: want logout or close", c.ChurnBy)
		}
	}
	return nil
}

// roomNameRE is the contract's room name rule.
var roomNameRE = regexp.MustCompile(`^[A-Za-z0-9_.:@-]{1,128}$`)

// roomName is the name of room k.
func roomName(prefix string, k int) string { return fmt.Sprintf("%s-%05d", prefix, k) }

// seedUsers is how many users a run without -tokens registers: -n in the
// scoped modes; in sockets mode -users, by default min(-n, 200) and at
// least -n/20, so that no user holds more than 20 sockets (the server's
// default -max-conns-per-user).
func (c *config) seedUsers() int {
	switch {
	case scoped(c.Mode):
		return c.N
	case c.Users > 0:
		return c.Users
	}
	return max(min(c.N, 200), (c.N+19)/20)
}

// loopbackOnly refuses any target or source outside 127.0.0.0/8 and ::1: a
// load test on a shared machine never leaves it.
func loopbackOnly(host string) error {
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return usagef("%q is not a loopback address: presenced-load only targets 127.0.0.0/8 or ::1", host)
	}
	return nil
}

// sources lists the source addresses for n connections, -per-src each.
func (c *config) sources(n int) ([]string, error) {
	if c.Src == "" {
		return []string{""}, nil
	}
	ip := net.ParseIP(c.Src).To4()
	k := (n + c.PerSrc - 1) / c.PerSrc
	out := make([]string, 0, max(k, 1))
	for i := range max(k, 1) {
		last := int(ip[3]) + i
		if last > 254 {
			return nil, usagef("-src %s: not enough addresses for %d connections", c.Src, n)
		}
		out = append(out, net.IPv4(ip[0], ip[1], ip[2], byte(last)).String())
	}
	return out, nil
}

// formatRate prints a rate with no more digits than it deserves.
func formatRate(v float64) string {
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

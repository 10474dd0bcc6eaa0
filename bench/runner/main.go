// Command runner is `make bench` (bench/run.sh builds it): presenced and its
// Node socket.io peer (bench/peer), side by side on this machine. For each
// scenario it runs the two servers alternately, each pinned to one core
// (Go: GOMAXPROCS=1) with the load generator (cmd/presenced-load) pinned to
// the other, waits for a quiet machine before each run, rejects runs in
// which other processes used more than -max-others cores (retrying while the
// time budget allows), takes medians, and rewrites BENCHMARKS.md and the
// plot. Every process it starts it ends by pid.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

type bench struct {
	quick      bool
	presenced  string
	load       string
	node       string
	peerDir    string
	peerJS     string // the peer's script in its directory for the runs (seeding always runs server.js)
	out        string
	resultsDir string
	plot       string
	only       map[string]bool
	plan       string // planCore, planScoped, planStack or planAll
	budget     time.Duration
	quietWait  time.Duration
	maxOthers  float64
	serverCPU  string
	loadCPU    string
	repo       string

	work     string            // temporary directory of the whole bench
	seeds    map[string]string // kind → template directory (database, secret, seed.json)
	started  time.Time
	deadline time.Time
	runs     []runResult
	skipped  []string
	log      io.Writer
	took     time.Duration
	merge    bool
	notes    []string // said under the report's header
	srcNext  int
	onWindow func() // called when a run's load starts (profiling)
}

func main() {
	b := &bench{log: os.Stderr, started: time.Now()}
	var only, soakKind, profileBin string
	var soak time.Duration
	var render bool
	var floorN int
	var merge bool
	flag.BoolVar(&b.quick, "quick", os.Getenv("BENCH_QUICK") == "1", "smoke run of about 2 minutes (BENCH_QUICK=1)")
	flag.StringVar(&b.repo, "repo", ".", "repository root")
	flag.StringVar(&b.presenced, "presenced", "bin/presenced", "presenced binary")
	flag.StringVar(&b.load, "load", "bin/presenced-load", "load generator binary")
	flag.StringVar(&b.node, "node", "node", "Node ≥ 22.13 for the peer (node:sqlite)")
	flag.StringVar(&b.peerDir, "peer", "bench/peer", "the peer's directory")
	flag.StringVar(&b.peerJS, "peer-js", "server.js", "the peer's script for the runs, in -peer (minimal.js: the leanness check, for pongs-* and idle-* only; seeding runs server.js)")
	flag.StringVar(&b.out, "out", "BENCHMARKS.md", "report to rewrite")
	flag.StringVar(&b.resultsDir, "results", "bench/results", "where the raw results go")
	flag.StringVar(&b.plot, "plot", "bench/results/throughput-memory.svg", "the plot")
	flag.StringVar(&only, "only", "", "comma list of scenario keys to run (default all of the plan)")
	flag.StringVar(&b.plan, "plan", planAll, "core: presenced beside the peer; scoped: rooms, watchlists and the global list under the same churn (presenced only, the baseline also on the peer); stack: idle CPU and RSS per socket (idle-1k, idle-10k) and CPU per pong (pongs-2k, pongs-10k) beside the peer; all: every plan")
	flag.DurationVar(&b.budget, "budget", 0, "time budget for the whole bench (default: core 9m20s, scoped 9m, stack 18m, all 34m20s; quick: 2m30s, 3m30s, 3m30s, 9m30s)")
	flag.DurationVar(&b.quietWait, "quiet-wait", 15*time.Second, "longest wait for a quiet machine before a run")
	flag.Float64Var(&b.maxOthers, "max-others", 0.1, "a run in which other processes used more cores than this is rejected")
	flag.StringVar(&b.serverCPU, "server-cpu", "0", "core of the server")
	flag.StringVar(&b.loadCPU, "load-cpu", "1", "core of the load generator")
	flag.DurationVar(&soak, "soak", 0, "instead of the benchmarks: hold 10,000 sockets with a 1 s sweep this long (bench/soak.sh)")
	flag.StringVar(&soakKind, "soak-kind", kindPresenced, "server of the soak: presenced or peer")
	flag.BoolVar(&merge, "merge", false, "keep the runs of other scenarios from -results/latest.json (with -only: re-run some scenarios)")
	flag.IntVar(&floorN, "floor", 0, "internal: measure the loopback floor over this many socket pairs and print µs per frame")
	flag.BoolVar(&render, "render", false, "only rewrite BENCHMARKS.md and the plot from -results/latest.json (after editing bench/analysis.md)")
	flag.StringVar(&profileBin, "profile", "", "instead of the benchmarks: profile this pprof-enabled presenced build (bench/profile.sh)")
	flag.Parse()
	if floorN > 0 {
		v, err := measureFloor(floorN, 2*time.Second)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Printf("%.2f\n", v)
		return
	}
	if b.plan != planCore && b.plan != planScoped && b.plan != planStack && b.plan != planAll {
		fmt.Fprintf(os.Stderr, "bench: -plan %q: want core, scoped, stack or all\n", b.plan)
		os.Exit(2)
	}
	if b.budget == 0 {
		b.budget = defaultBudget(b.plan, b.quick)
	}
	b.deadline = b.started.Add(b.budget)
	if only != "" {
		b.only = map[string]bool{}
		for _, k := range strings.Split(only, ",") {
			b.only[strings.TrimSpace(k)] = true
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	var err error
	switch {
	case soak > 0:
		err = b.prepare(func() error { return b.soak(ctx, soak, soakKind) })
	case render:
		err = b.prepare(func() error { return b.rerender() })
	case profileBin != "":
		err = b.prepare(func() error { return b.profile(ctx, profileBin) })
	default:
		b.merge = merge
		err = b.run(ctx)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
}

func (b *bench) logf(format string, a ...any) {
	fmt.Fprintf(b.log, "[%5.0fs] %s\n", time.Since(b.started).Seconds(), fmt.Sprintf(format, a...))
}

// prepare resolves paths and makes the work directory around fn.
func (b *bench) prepare(fn func() error) error {
	for _, p := range []*string{&b.presenced, &b.load, &b.peerDir, &b.out, &b.resultsDir, &b.plot} {
		if !filepath.IsAbs(*p) {
			*p = filepath.Join(b.repo, *p)
		}
	}
	var err error
	if b.work, err = os.MkdirTemp("", "presenced-bench-"); err != nil {
		return err
	}
	defer os.RemoveAll(b.work)
	if err := os.MkdirAll(b.resultsDir, 0o755); err != nil {
		return err
	}
	return fn()
}

func (b *bench) run(ctx context.Context) error {
	return b.prepare(func() error { return b.runBench(ctx) })
}

func (b *bench) runBench(ctx context.Context) error {
	machine := describeMachine(ctx, b)
	plan := b.planned()
	if len(plan) == 0 {
		return fmt.Errorf("no scenario in plan %q matches -only", b.plan)
	}
	for _, n := range []int{1000, 5000} {
		if v, err := b.runFloor(ctx, n); err == nil {
			machine.Floor = append(machine.Floor, floorReading{Sockets: n, MicrosPerFrame: v})
			b.logf("loopback floor: %.1f µs per small frame over %s sockets", v, comma(n))
		}
	}
	if b.peerJS != "" && b.peerJS != "server.js" {
		b.notes = append(b.notes, fmt.Sprintf("**The peer's runs ran `bench/peer/%s` (`-peer-js`), not the reference `server.js`: a leanness check of the peer (bench/README.md), not the claim.**", b.peerJS))
	}
	b.logf("bench: %s %s plan, budget %v; %s", map[bool]string{false: "full", true: "quick"}[b.quick], b.plan, b.budget, machine.CPU)
	if err := b.seed(ctx); err != nil {
		return err
	}
	if err := b.seedLarge(ctx, plan); err != nil {
		return err
	}
	// Rounds: every scenario once, then every scenario again…, so that a
	// budget cut leaves fewer runs of everything rather than none of some.
	rounds := 0
	for _, sc := range plan {
		rounds = max(rounds, sc.Runs)
	}
	retries := map[string]int{}
	for round := 1; round <= rounds; round++ {
		for _, sc := range plan {
			if round > sc.Runs {
				continue
			}
			b.runRound(ctx, sc, round, retries)
			if ctx.Err() != nil {
				return ctx.Err()
			}
		}
	}
	b.took = time.Since(b.started)
	if b.merge {
		if old, err := loadSaved(filepath.Join(b.resultsDir, "latest.json")); err == nil {
			ran := map[string]bool{}
			for _, sc := range plan {
				ran[sc.Key] = true
			}
			var kept []runResult
			for _, r := range old.Runs {
				if !ran[r.Scenario] {
					kept = append(kept, r)
				}
			}
			b.runs = append(kept, b.runs...)
			b.took += time.Duration(old.Seconds * float64(time.Second))
			var keys []string
			for k := range ran {
				keys = append(keys, "`"+k+"`")
			}
			slices.Sort(keys)
			b.notes = append(old.Notes, fmt.Sprintf("%s re-run on %s (`-merge`), the other scenarios from the run before; the time above is the sum.",
				strings.Join(keys, ", "), time.Now().UTC().Format("2006-01-02 15:04 UTC")))
		}
	}
	raw, _ := json.MarshalIndent(savedBench{Machine: machine, Runs: b.runs, Skipped: b.skipped, Quick: b.quick, Plan: b.plan, Notes: b.notes, Budget: b.budget.String(),
		Seconds: b.took.Seconds(), MaxOthers: b.maxOthers, QuietWait: b.quietWait.String()}, "", " ")
	if err := os.WriteFile(filepath.Join(b.resultsDir, "latest.json"), append(raw, '\n'), 0o644); err != nil {
		return err
	}
	if err := b.writeReport(machine, scenarios(b.quick)); err != nil {
		return err
	}
	b.logf("bench: done in %.0fs: %s, %s", time.Since(b.started).Seconds(), b.out, b.plot)
	return nil
}

// runRound runs sc once on each server (which goes first alternates with
// the round), retrying a rejected run once per planned run while the budget
// allows.
func (b *bench) runRound(ctx context.Context, sc scenario, round int, retries map[string]int) {
	kinds := sc.Kinds
	if len(kinds) == 0 {
		kinds = []string{kindPresenced, kindPeer}
	}
	order := slices.Clone(kinds)
	if round%2 == 0 {
		slices.Reverse(order)
	}
	b.logf("== %s, round %d: %s", sc.Key, round, sc.Title)
	for _, kind := range order {
		for {
			if time.Until(b.deadline) < sc.Estimate {
				b.skipped = append(b.skipped, fmt.Sprintf("%s round %d on %s", sc.Key, round, kind))
				b.logf("   skip %s: time budget", kind)
				break
			}
			r := b.runOnce(ctx, sc, kind, round)
			b.runs = append(b.runs, r)
			if r.Accepted || r.Failed || retries[sc.Key+kind] >= sc.Runs || ctx.Err() != nil {
				break
			}
			retries[sc.Key+kind]++
		}
	}
}

func (b *bench) runOnce(ctx context.Context, sc scenario, kind string, run int) runResult {
	return b.runOnceTimeout(ctx, sc, kind, run, 5*time.Minute)
}

func (b *bench) runOnceTimeout(ctx context.Context, sc scenario, kind string, run int, timeout time.Duration) runResult {
	r := runResult{Scenario: sc.Key, Kind: kind, Run: run, Started: time.Now()}
	quiet, waited := waitQuiet(ctx, b.maxOthers, min(b.quietWait, max(0, time.Until(b.deadline)-sc.Estimate)))
	r.QuietWas = quiet
	dir := filepath.Join(b.work, fmt.Sprintf("%s-%s-%d-%d", sc.Key, kind, run, len(b.runs)))
	defer os.RemoveAll(dir)
	tmpl, ok := b.seeds[seedKey(kind, sc.Users)]
	if !ok {
		r.Failed, r.Reason = true, fmt.Sprintf("no seed of %d users for %s", sc.Users, kind)
		return r
	}
	if err := copyDir(tmpl, dir); err != nil {
		r.Failed, r.Reason = true, err.Error()
		return r
	}
	s, err := b.startServer(ctx, kind, dir, sc)
	if err != nil {
		r.Failed, r.Reason = true, err.Error()
		b.logf("   %s run %d failed: %v", kind, run, err)
		return r
	}
	r.Server = s.args
	// Source addresses rotate between runs so that no run meets the
	// previous one's TIME_WAIT sockets.
	b.srcNext = (b.srcNext + 1) % 50
	args := []string{"-url", s.url, "-pid", itoa(s.pid), "-json", "-progress", "0", "-src", fmt.Sprintf("127.0.0.%d", 2+4*b.srcNext)}
	if loadMode(sc.Load) != "http" {
		args = append(args, "-tokens", filepath.Join(dir, "seed.json"))
	}
	args = append(args, sc.Load...)
	r.Load = append([]string{"presenced-load"}, args...)
	m0, _ := machineBusy()
	s0, l0 := cpuOf(s.pid), time.Now()
	if b.onWindow != nil {
		b.onWindow()
	}
	out, stderr, loadCPU, err := b.runLoad(ctx, args, timeout)
	m1, _ := machineBusy()
	s1 := cpuOf(s.pid)
	s.stop()
	r.Seconds = time.Since(r.Started).Seconds()
	if err != nil {
		r.Failed, r.Reason = true, fmt.Sprintf("%v: %s", err, lastLines(stderr, 3))
		// A failed scoped run still prints its report: keep it for the tables.
		var rep loadReport
		if len(out) > 0 && json.Unmarshal(out, &rep) == nil {
			r.Report, r.Raw = &rep, json.RawMessage(out)
		}
		b.logf("   %s run %d failed: %s", kind, run, r.Reason)
		return r
	}
	var rep loadReport
	if err := json.Unmarshal(out, &rep); err != nil {
		r.Failed, r.Reason = true, "bad report: "+err.Error()
		return r
	}
	r.Report, r.Raw = &rep, json.RawMessage(out)
	// Noise: the window's own reading when there is one; else the whole
	// load run less the server and the load generator.
	switch {
	case rep.Scoped != nil && rep.Scoped.Window != nil:
		r.Others = rep.Scoped.Window.OthersCores
	case rep.Window != nil:
		r.Others = rep.Window.OthersCores
	case rep.HTTP != nil:
		r.Others = max(rep.HTTP.LoginOthers, rep.HTTP.GetOthers)
	default:
		wall := time.Since(l0).Seconds()
		r.Others = max(0, ((m1-m0)-(s1-s0)-loadCPU).Seconds()) / wall
	}
	r.Accepted = r.Others <= b.maxOthers
	if !r.Accepted {
		r.Reason = fmt.Sprintf("others used %.2f cores (waited %.0fs for quiet, %.2f before)", r.Others, waited.Seconds(), quiet)
	}
	b.logf("   %-9s run %d: %s%s", kind, run, summary(sc, &rep), map[bool]string{true: "", false: "  [rejected: " + r.Reason + "]"}[r.Accepted])
	return r
}

// loadMode is the -mode of a load generator command line (default sockets).
func loadMode(args []string) string {
	if i := slices.Index(args, "-mode"); i >= 0 && i+1 < len(args) {
		return args[i+1]
	}
	return "sockets"
}

func summary(sc scenario, r *loadReport) string {
	switch {
	case r.Scoped != nil:
		return scopedSummary(r)
	case r.HTTP != nil:
		return fmt.Sprintf("logins/s %s, GETs/s %s (%s µs server CPU each), errors %d",
			fmtNum(r.HTTP.LoginsPerSec), fmtNum(r.HTTP.GetsPerSec), fmtNum(r.HTTP.GetCPU), r.HTTP.Errors)
	case r.Window == nil:
		return fmt.Sprintf("connected %d at %s/s, settled %v after %.2fs, errors %d",
			r.Connect.Connected, fmtNum(r.Connect.PerSecond), r.Settled, r.SettleSeconds, r.ErrorTotal)
	}
	w := r.Window
	if sc.Idle {
		cpu, _ := figures["idle_cpu_us"](r)
		return fmt.Sprintf("%d bound, %s µs CPU per socket per s (%s s over %.1fs), sweep pings/s %s, RSS settled %s MB, end %s MB, others %.2f, errors %d",
			r.Connect.Connected, fmtNum(cpu), fmtNum(w.ServerCPUSeconds), w.Seconds, fmtNum(w.PingsPerSec),
			fmtNum(float64(r.RSSSettledKB)/1024), fmtNum(float64(r.RSSKB)/1024), w.OthersCores, r.ErrorTotal)
	}
	s := fmt.Sprintf("pongs/s %s, %s µs/pong, fan-out p99 %sms, RSS %s KB/conn, others %.2f, errors %d",
		fmtNum(w.ServerPongsPerSec), fmtNum(w.CPUPerPong), fmtNum(w.Fanout.P99), fmtNum(r.RSSPerConnKB), w.OthersCores, r.ErrorTotal)
	if w.TabClose.Count > 0 {
		s += fmt.Sprintf(", tab-close p99 %sms", fmtNum(w.TabClose.P99))
	}
	if r.Syscalls != nil {
		s += fmt.Sprintf(", %.2f syscalls/pong", r.Syscalls.PerPong)
	}
	return s
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], " | ")
}

func copyDir(src, dst string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	ents, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o600); err != nil {
			return err
		}
	}
	if _, err := os.Stat(filepath.Join(dst, "seed.json")); err != nil {
		return errors.New("seed template has no seed.json")
	}
	return nil
}

// savedBench is bench/results/latest.json.
type savedBench struct {
	Machine   machineInfo `json:"machine"`
	Runs      []runResult `json:"runs"`
	Skipped   []string    `json:"skipped"`
	Quick     bool        `json:"quick"`
	Plan      string      `json:"plan,omitempty"`
	Seconds   float64     `json:"seconds"`
	MaxOthers float64     `json:"max_others"`
	Notes     []string    `json:"notes,omitempty"`
	Budget    string      `json:"budget"`
	QuietWait string      `json:"quiet_wait"`
}

func (b *bench) writeReport(machine machineInfo, plan []scenario) error {
	if err := os.WriteFile(b.plot, []byte(plotSVG(b.runs)), 0o644); err != nil {
		return err
	}
	return os.WriteFile(b.out, []byte(renderMarkdown(b, machine, plan)), 0o644)
}

// loadSaved reads a latest.json with its runs' reports.
func loadSaved(path string) (*savedBench, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s savedBench
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, err
	}
	for i := range s.Runs {
		if len(s.Runs[i].Raw) > 0 {
			var rep loadReport
			if json.Unmarshal(s.Runs[i].Raw, &rep) == nil {
				s.Runs[i].Report = &rep
			}
		}
	}
	return &s, nil
}

// rerender rewrites the report from the saved results.
func (b *bench) rerender() error {
	s, err := loadSaved(filepath.Join(b.resultsDir, "latest.json"))
	if err != nil {
		return err
	}
	b.runs, b.skipped, b.quick, b.took, b.notes = s.Runs, s.Skipped, s.Quick, time.Duration(s.Seconds*float64(time.Second)), s.Notes
	if s.Plan != "" {
		b.plan = s.Plan
	} else {
		b.plan = planCore // saved before plans existed
	}
	if s.MaxOthers > 0 {
		b.maxOthers = s.MaxOthers
	}
	if d, err := time.ParseDuration(s.QuietWait); err == nil {
		b.quietWait = d
	}
	if d, err := time.ParseDuration(s.Budget); err == nil {
		b.budget = d
	}
	return b.writeReport(s.Machine, scenarios(b.quick))
}

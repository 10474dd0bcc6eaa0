package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// runner drives one sockets-mode run: connect, settle, warm up, measure,
// report. Every phase is bounded.
type runner struct {
	cfg         *config
	seed        *seedFile
	api         *apiClient
	st          counters
	fanout      histogram
	connectLat  histogram
	tabClose    histogram
	measuring   atomic.Bool
	watch       atomic.Pointer[watch]
	expectCount int
	dialers     []*net.Dialer
	conns       []*sioConn // the N observers
	probes      []*sioConn // tab-close probes, one per probe user
	phase       atomic.Value
	log         io.Writer
	traffic     traffic      // what the sockets received, by kind
	started     time.Time    // the connect phase began
	windowAt    atomic.Int64 // unix ns: the measured window opened
	scope       *scopedState // rooms, watch and global modes; nil in sockets mode
}

func newRunner(cfg *config, seed *seedFile, log io.Writer) (*runner, error) {
	r := &runner{cfg: cfg, seed: seed, api: newAPIClient(cfg.URL, cfg.Inflight), log: log}
	users := seed.Users
	if scoped(cfg.Mode) {
		if len(users) < cfg.N {
			return nil, usagef("%s mode runs N sockets of N users: -n %d, but the seed file has %d users (seed with -users %d)", cfg.Mode, cfg.N, len(users), cfg.N)
		}
		users = users[:cfg.N]
	} else if cfg.Users > 0 {
		if cfg.Users > len(users) {
			return nil, usagef("-users %d: the seed file has %d", cfg.Users, len(users))
		}
		users = users[:cfg.Users]
	}
	if cfg.Probes > len(seed.Probes) {
		return nil, usagef("-probes %d: the seed file has %d", cfg.Probes, len(seed.Probes))
	}
	srcs, err := cfg.sources(cfg.N + cfg.Probes)
	if err != nil {
		return nil, err
	}
	for _, s := range srcs {
		r.dialers = append(r.dialers, newDialer(s))
	}
	r.expectCount = cfg.ExpectCount
	if r.expectCount == 0 {
		r.expectCount = min(cfg.N, len(users)) // every observer's user online
	}
	for i := range cfg.N {
		u := &users[i%len(users)]
		r.conns = append(r.conns, &sioConn{r: r, idx: i, user: u, token: u.Token})
	}
	for j := range cfg.Probes {
		u := &seed.Probes[j]
		r.probes = append(r.probes, &sioConn{r: r, idx: cfg.N + j, user: u, token: u.Token, probe: true})
	}
	if scoped(cfg.Mode) {
		r.scope = newScopedState(cfg, r.conns)
	}
	r.phase.Store("start")
	return r, nil
}

func (r *runner) dialerFor(idx int) *net.Dialer {
	return r.dialers[min(idx/r.cfg.PerSrc, len(r.dialers)-1)]
}

// openOne opens c's websocket (step "open") or binds an open one (step
// "bind"), or does both, logging in first in storm mode (step "both").
func (r *runner) openOne(ctx context.Context, c *sioConn, step string) error {
	t0 := time.Now()
	if step != "bind" {
		// Probes keep their seeded tokens: an HTTP login would keep their user
		// online for two sweeps after the tab closes (login credit).
		if r.cfg.Login && !c.probe {
			tok, err := r.api.login(ctx, c.user.Username, c.user.Password)
			if err != nil {
				r.st.loginErrors.Add(1)
				r.st.noteFirst("login", err.Error())
				return err
			}
			c.token = tok
		}
		if err := c.open(ctx); err != nil {
			r.st.connectFailed(err)
			return err
		}
		if step == "open" {
			return nil
		}
	} else if c.ws == nil || isDone(c.done) {
		return errClosedEarly
	}
	if err := c.bind(ctx); err != nil {
		if err != errRefused {
			r.st.connectFailed(err)
		}
		return err
	}
	r.st.connected.Add(1)
	r.connectLat.Record(time.Since(t0))
	return nil
}

// connectAll connects list with -inflight at a time and returns when all
// have an answer (or the phase's bound passed). With -preopen every
// websocket is opened first and the CONNECTs follow: the sockets then bind
// without the sweep's load growing under the websocket handshakes.
func (r *runner) connectAll(ctx context.Context, list []*sioConn) {
	steps := []string{"both"}
	if r.cfg.Preopen && !r.cfg.Login {
		steps = []string{"open", "bind"}
	}
	for _, step := range steps {
		r.phase.Store("connect:" + step)
		jobs := make(chan *sioConn)
		var wg sync.WaitGroup
		for range min(r.cfg.Inflight, len(list)) {
			wg.Go(func() {
				for c := range jobs {
					cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
					_ = r.openOne(cctx, c, step)
					cancel()
				}
			})
		}
		for _, c := range list {
			select {
			case jobs <- c:
			case <-ctx.Done():
			}
		}
		close(jobs)
		wg.Wait()
	}
}

// settled reports whether every open observer and probe has its first
// update and, when want, an update with the expected count.
func (r *runner) settled(wantCount bool) bool {
	for _, list := range [][]*sioConn{r.conns, r.probes} {
		for _, c := range list {
			if c.ws == nil || c.closing.Load() || isDone(c.done) {
				continue
			}
			if c.snapshotAt.Load() == 0 || (wantCount && c.settledAt.Load() == 0) {
				return false
			}
		}
	}
	return true
}

func isDone(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// lastSettle is the latest first-update (or settled) time of the observers.
func (r *runner) lastSettle(wantCount bool) time.Time {
	var last int64
	for _, c := range r.conns {
		v := c.snapshotAt.Load()
		if wantCount {
			v = c.settledAt.Load()
		}
		last = max(last, v)
	}
	if last == 0 {
		return time.Time{}
	}
	return time.Unix(0, last)
}

func (r *runner) run(ctx context.Context) (*report, error) {
	cfg := r.cfg
	rep := &report{Mode: modeSockets, URL: cfg.URL, N: cfg.N, Users: min(cfg.N, r.usersInUse()), Probes: cfg.Probes,
		Login: cfg.Login, Inflight: cfg.Inflight, ServerPID: cfg.PID}
	stopProgress := r.startProgress(ctx)
	defer stopProgress()

	base := sampleCPU(cfg.PID)
	rep.ServerRSSBaseKB = base.rssKB

	// Connect: observers, then probes.
	cctx, cancel := context.WithTimeout(ctx, cfg.ConnectTimeout)
	t0 := time.Now()
	r.started = t0
	r.connectAll(cctx, r.conns)
	connectDone := time.Now()
	r.connectAll(cctx, r.probes)
	cancel()
	after := sampleCPU(cfg.PID)
	rep.Connect = connectReport{
		Seconds:   connectDone.Sub(t0).Seconds(),
		Connected: r.st.connected.Load(),
		Latency:   r.connectLat.Summary(),
		ServerCPU: (after.server - base.server).Seconds(),
	}
	if rep.Connect.Seconds > 0 {
		rep.Connect.PerSecond = float64(countOpen(r.conns)) / rep.Connect.Seconds
	}
	if want := int64(cfg.N + cfg.Probes); rep.Connect.Connected == 0 {
		r.closeAll()
		return nil, r.noSocket(int(want))
	} else if rep.Connect.Connected < want {
		fmt.Fprintf(r.log, "presenced-load: warning: only %d of %d sockets connected: %s\n", rep.Connect.Connected, want, r.connectFailures())
	}

	// Settle: every socket has its first update; with -login (the storm),
	// every socket has seen all users online.
	r.phase.Store("settle")
	wantCount := cfg.Login || cfg.ExpectCount > 0
	sctx, cancel := context.WithTimeout(ctx, cfg.SettleTimeout)
	for !r.settled(wantCount) && sctx.Err() == nil {
		sleepCtx(sctx, 20*time.Millisecond)
	}
	cancel()
	rep.Settled = r.settled(wantCount)
	if last := r.lastSettle(wantCount); !last.IsZero() {
		rep.SettleSeconds = last.Sub(t0).Seconds()
	}
	settledCPU := sampleCPU(cfg.PID)
	rep.Connect.ServerCPUSettled = (settledCPU.server - base.server).Seconds()
	rep.ServerRSSConnectedKB = settledCPU.rssKB

	if cfg.Duration > 0 && ctx.Err() == nil {
		r.measure(ctx, rep)
	}
	if cfg.Syscalls > 0 && ctx.Err() == nil && cfg.PID > 0 {
		r.phase.Store("syscalls")
		rep.Syscalls = r.countSyscalls(ctx)
	}
	r.phase.Store("close")
	r.closeAll()
	rep.Errors = r.st.errorReport()
	rep.ErrorTotal = totalErrors(rep.Errors)
	return rep, nil
}

func (r *runner) usersInUse() int {
	if r.cfg.Users > 0 {
		return r.cfg.Users
	}
	return len(r.seed.Users)
}

func countOpen(list []*sioConn) int {
	n := 0
	for _, c := range list {
		if c.ws != nil && !isDone(c.done) {
			n++
		}
	}
	return n
}

// measure runs warm-up and the window, with the optional hammer, churn and
// tab-close probes, and fills the window's figures.
func (r *runner) measure(ctx context.Context, rep *report) {
	cfg := r.cfg
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var bg sync.WaitGroup
	if cfg.Hammer > 0 {
		bg.Go(func() { r.hammer(wctx) })
	}
	r.phase.Store("warmup")
	sleepCtx(ctx, cfg.Warmup)

	r.phase.Store("window")
	r.fanout.Reset()
	metricsNames := []string{"presenced_pongs_total", "go_goroutines", "presenced_socketio_write_calls_total",
		`presenced_socketio_frames_total{direction="out"}`, "go_memstats_stack_inuse_bytes", "go_memstats_heap_inuse_bytes",
		"go_memstats_heap_sys_bytes"}
	m0 := r.api.metrics(ctx, metricsNames...)
	s0, c0 := sampleCPU(cfg.PID), r.st.snap()
	r.windowAt.Store(s0.at.UnixNano())
	r.measuring.Store(true)
	if cfg.Mark != "" {
		_ = os.WriteFile(cfg.Mark, []byte(time.Now().Format(time.RFC3339Nano)+"\n"), 0o644)
	}
	if cfg.Churn > 0 {
		bg.Go(func() { r.churn(wctx) })
	}
	if cfg.Sample > 0 {
		bg.Go(func() { rep.Samples = r.sampleLoop(wctx, s0) })
	}
	if cfg.Probes > 0 {
		r.tabCloses(ctx, cfg.Duration)
	}
	sleepCtx(ctx, time.Until(s0.at.Add(cfg.Duration)))
	r.measuring.Store(false)
	s1, c1 := sampleCPU(cfg.PID), r.st.snap()
	m1 := r.api.metrics(ctx, metricsNames...)
	cancel()
	bg.Wait()

	win := s1.at.Sub(s0.at).Seconds()
	w := windowReport{Seconds: win, StartS: s0.at.Sub(r.started).Seconds(), WarmupS: cfg.Warmup.Seconds()}
	w.PingsPerSec = float64(c1.pings-c0.pings) / win
	w.PongsPerSec = float64(c1.pongs-c0.pongs) / win
	w.HammerPerSec = float64(c1.hammer-c0.hammer) / win
	w.UpdatesPerSec = float64(c1.updates-c0.updates) / win
	w.RateLimited = c1.rateLimited - c0.rateLimited
	w.AnswersAcked, w.AnswersLimited = c1.answersOK-c0.answersOK, c1.answersLimited-c0.answersLimited
	w.Closed = c1.closed - c0.closed
	w.Fanout = r.fanout.Summary()
	w.EnginePingsPerSec = float64(c1.enginePings-c0.enginePings) / win
	cpu, src := serverCPUBetween(s0, s1)
	w.ServerCPUSeconds, w.CPUSource, w.StatCPUSeconds = cpu.Seconds(), src, (s1.server - s0.server).Seconds()
	w.ServerCores = w.ServerCPUSeconds / win
	w.SelfCores = (s1.self - s0.self).Seconds() / win
	w.OthersCores = othersCores(s0, s1)
	w.KernelCores = kernelCores(s0, s1)
	if v0, ok := m0["presenced_pongs_total"]; ok {
		if v1, ok := m1["presenced_pongs_total"]; ok {
			w.ServerPongsPerSec = (v1 - v0) / win
		}
	}
	for _, k := range []string{"go_memstats_stack_inuse_bytes", "go_memstats_heap_inuse_bytes", "go_memstats_heap_sys_bytes"} {
		if v, ok := m1[k]; ok {
			if w.ServerMemory == nil {
				w.ServerMemory = map[string]float64{}
			}
			w.ServerMemory[k] = v
		}
	}
	if g, ok := m1["go_goroutines"]; ok {
		w.ServerGoroutines = int(g)
	}
	if wc := m1["presenced_socketio_write_calls_total"] - m0["presenced_socketio_write_calls_total"]; wc > 0 {
		fo := m1[`presenced_socketio_frames_total{direction="out"}`] - m0[`presenced_socketio_frames_total{direction="out"}`]
		w.ServerFramesPerWrite = fo / wc
	}
	pongs := float64(c1.pongs-c0.pongs) + float64(c1.hammer-c0.hammer)
	if w.ServerPongsPerSec > 0 {
		pongs = w.ServerPongsPerSec * win // what the server counted
	}
	if pongs > 0 && cfg.PID > 0 {
		w.ServerCPUMicrosPerPong = w.ServerCPUSeconds * 1e6 / pongs
	}
	rep.ServerRSSKB = s1.rssKB
	if n := countOpen(r.conns) + countOpen(r.probes); n > 0 && s1.rssKB > 0 {
		rep.ServerRSSPerConnKB = float64(s1.rssKB-rep.ServerRSSBaseKB) / float64(n)
	}
	if cfg.Probes > 0 {
		w.TabClose = r.tabClose.Summary()
		w.TabCloseTimeouts = uint64(cfg.Probes) - w.TabClose.Count
	}
	rep.Window = &w
}

// tabCloses closes the probes one by one, spread over the window, and times
// how long until every observer saw the probe's user in left (each waits at
// most 3 s; the window stretches when they take longer than their share).
func (r *runner) tabCloses(ctx context.Context, window time.Duration) {
	gap := window / time.Duration(len(r.probes)+1)
	for i, p := range r.probes {
		if !sleepCtx(ctx, gap) {
			return
		}
		if p.ws == nil || isDone(p.done) {
			continue
		}
		observers := int64(0)
		for _, c := range r.conns {
			if c.ws != nil && !isDone(c.done) {
				observers++
			}
		}
		w := &watch{seq: uint64(i + 1), userID: p.user.ID}
		w.remaining.Store(observers)
		r.watch.Store(w)
		t0 := time.Now()
		p.shut(true)
		deadline := t0.Add(3 * time.Second)
		for w.doneAt.Load() == 0 && time.Now().Before(deadline) && ctx.Err() == nil {
			time.Sleep(time.Millisecond)
		}
		if at := w.doneAt.Load(); at != 0 {
			r.tabClose.Record(time.Unix(0, at).Sub(t0))
		}
	}
	r.watch.Store(nil)
}

// hammer sends unsolicited pongs at -hammer per socket per second, spread
// evenly: every 10 ms a slice of the sockets gets one each.
func (r *runner) hammer(ctx context.Context) {
	const tick = 10 * time.Millisecond
	t := time.NewTicker(tick)
	defer t.Stop()
	perTick := r.cfg.Hammer * float64(len(r.conns)) * tick.Seconds()
	credit, next := 0.0, 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		credit += perTick
		for ; credit >= 1; credit-- {
			r.conns[next].sendUnsolicited()
			next = (next + 1) % len(r.conns)
		}
	}
}

// churn closes and reopens -churn random observers a second.
func (r *runner) churn(ctx context.Context) {
	const tick = 100 * time.Millisecond
	t := time.NewTicker(tick)
	defer t.Stop()
	credit := 0.0
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		credit += r.cfg.Churn * tick.Seconds()
		var batch []*sioConn
		for ; credit >= 1; credit-- {
			c := r.conns[rand.IntN(len(r.conns))]
			if !slices.Contains(batch, c) {
				batch = append(batch, c)
			}
		}
		for _, c := range batch {
			c.shut(true)
		}
		r.connectAll(ctx, batch)
	}
}

// sample is one point of a soak's time series.
type sample struct {
	Seconds    float64 `json:"t_s"`
	RSSKB      int64   `json:"rss_kb"`
	Goroutines int     `json:"goroutines,omitempty"`
	PongsPerS  float64 `json:"pongs_per_s"`
	Open       int64   `json:"open"`
}

func (r *runner) sampleLoop(ctx context.Context, s0 cpuSample) []sample {
	t := time.NewTicker(r.cfg.Sample)
	defer t.Stop()
	var out []sample
	last, lastAt := r.st.pongs.Load(), time.Now()
	for {
		select {
		case <-ctx.Done():
			return out
		case now := <-t.C:
			s := sampleCPU(r.cfg.PID)
			m := r.api.metrics(ctx, "go_goroutines")
			p := r.st.pongs.Load()
			out = append(out, sample{
				Seconds: now.Sub(s0.at).Seconds(), RSSKB: s.rssKB, Goroutines: int(m["go_goroutines"]),
				PongsPerS: float64(p-last) / now.Sub(lastAt).Seconds(), Open: r.st.open.Load(),
			})
			last, lastAt = p, now
		}
	}
}

// closeAll closes every socket, in parallel, and waits for their loops.
func (r *runner) closeAll() {
	var wg sync.WaitGroup
	all := append(slices.Clone(r.conns), r.probes...)
	per := (len(all) + 15) / 16
	for i := 0; i < len(all); i += per {
		part := all[i:min(i+per, len(all))]
		wg.Go(func() {
			for _, c := range part {
				c.shut(false)
			}
		})
	}
	wg.Wait()
}

// startProgress prints a live line on stderr every -progress, after a
// legend line that says what its counts mean.
func (r *runner) startProgress(ctx context.Context) func() {
	if r.cfg.Progress <= 0 {
		return func() {}
	}
	pctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	tty := isTerminal(os.Stderr)
	fmt.Fprintln(r.log, r.progressLegend())
	go func() {
		defer close(done)
		t := time.NewTicker(r.cfg.Progress)
		defer t.Stop()
		prev, prevAt := r.st.snap(), time.Now()
		for {
			select {
			case <-pctx.Done():
				if tty {
					fmt.Fprintln(r.log)
				}
				return
			case now := <-t.C:
				cur := r.st.snap()
				line := r.progressLine(prev, cur, now.Sub(prevAt).Seconds(), now)
				if tty {
					fmt.Fprintf(r.log, "\r\033[K%s", line)
				} else {
					fmt.Fprintln(r.log, line)
				}
				prev, prevAt = cur, now
			}
		}
	}()
	return func() { cancel(); <-done }
}

// progressLegend says what the progress line's counts are.
func (r *runner) progressLegend() string {
	l := fmt.Sprintf("presenced-load: progress every %s: phase (window=time into the measured window/-duration), "+
		"open=websockets open now/wanted, connected=CONNECTs accepted so far, "+
		"pings/s pongs/s updates/s=server pings received, pongs sent, update_user_online received since the last line, "+
		"errors=so far, by kind", r.cfg.Progress)
	if r.scope != nil {
		return l + ", in_scope=sockets joined/watching/bound, window_changes=leaves+rejoins in the window so far"
	}
	return l + ", fanout_p99=ping ts → receipt over the window so far"
}

// progressLine is one progress line: every count labelled.
func (r *runner) progressLine(prev, cur snapshot, dt float64, now time.Time) string {
	rate := func(a, b uint64) string { return formatRate(float64(b-a) / dt) }
	line := fmt.Sprintf("phase=%s", r.phase.Load())
	if at := r.windowAt.Load(); at != 0 && r.measuring.Load() {
		line += fmt.Sprintf(" window=%.1fs/%s", now.Sub(time.Unix(0, at)).Seconds(), r.cfg.Duration)
	}
	line += fmt.Sprintf(" open=%d/%d connected=%d pings/s=%s pongs/s=%s updates/s=%s errors=%s",
		r.st.open.Load(), r.cfg.N+r.cfg.Probes, r.st.connected.Load(),
		rate(prev.pings, cur.pings), rate(prev.pongs, cur.pongs), rate(prev.updates, cur.updates), errorSummary(r.st.errorReport()))
	if st := r.scope; st != nil {
		in := 0
		for _, c := range r.conns {
			if c.inScope.Load() {
				in++
			}
		}
		line += fmt.Sprintf(" in_scope=%d/%d window_changes=%d", in, len(r.conns), st.changes.Load())
	} else if r.measuring.Load() {
		line += fmt.Sprintf(" fanout_p99=%.1fms", r.fanout.Summary().P99)
	}
	return line
}

// errorSummary is the total and the kinds that are not zero, with no
// spaces: "0", "3(connect=2,connect_refused=1)".
func errorSummary(m map[string]uint64) string {
	var kinds []string
	for k, v := range m {
		if v > 0 {
			kinds = append(kinds, fmt.Sprintf("%s=%d", k, v))
		}
	}
	if len(kinds) == 0 {
		return "0"
	}
	slices.Sort(kinds)
	return fmt.Sprintf("%d(%s)", totalErrors(m), strings.Join(kinds, ","))
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// sleepCtx sleeps for d or until ctx ends; it reports whether it slept fully.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/presenced/presenced/ws/codec"
)

// runScoped drives a rooms, watch or global run: connect (a probe socket
// first, so that a server without the events is told at once), put every
// socket in scope, measure the idle server, churn (warm-up, then the
// window), drain the window's last notifications, report. Every phase is
// bounded.
func (r *runner) runScoped(ctx context.Context) (*report, error) {
	cfg, st := r.cfg, r.scope
	rep := &report{Mode: cfg.Mode, URL: cfg.URL, N: cfg.N, Users: cfg.N, Inflight: cfg.Inflight, ServerPID: cfg.PID}
	sr := &scopedReport{Mode: cfg.Mode, ChurnPerSec: cfg.Churn, HoldMS: float64(cfg.ChurnHold) / 1e6}
	switch cfg.Mode {
	case modeRooms:
		sr.RoomSize, sr.RoomMode, sr.Rooms, sr.ChurnBy = len(st.rooms[0]), cfg.RoomMode, len(st.rooms), "leave+join"
	case modeWatch:
		sr.Watch, sr.ChurnBy = cfg.Watch, "close+open"
	case modeGlobal:
		sr.Observers, sr.ChurnBy = len(st.obs), map[string]string{churnByLogout: "logout+login", churnByClose: "close+open"}[cfg.ChurnBy]
	}
	rep.Scoped = sr
	stopProgress := r.startProgress(ctx)
	defer stopProgress()
	defer r.closeAll()

	base := sampleCPU(cfg.PID)
	rep.ServerRSSBaseKB = base.rssKB
	cctx, cancel := context.WithTimeout(ctx, cfg.ConnectTimeout)
	t0 := time.Now()
	r.started = t0
	rest := r.conns
	if cfg.Mode != modeGlobal {
		r.connectAll(cctx, r.conns[:1])
		if err := r.probe(cctx, r.conns[0]); err != nil {
			cancel()
			return nil, err
		}
		rest = r.conns[1:]
	}
	r.connectAll(cctx, rest)
	cancel()
	if r.st.connected.Load() == 0 {
		return nil, r.noSocket(len(r.conns))
	}
	after := sampleCPU(cfg.PID)
	rep.Connect = connectReport{Seconds: time.Since(t0).Seconds(), Connected: r.st.connected.Load(),
		Latency: r.connectLat.Summary(), ServerCPU: (after.server - base.server).Seconds()}
	if rep.Connect.Seconds > 0 {
		rep.Connect.PerSecond = float64(countOpen(r.conns)) / rep.Connect.Seconds
	}

	r.setup(ctx, sr)
	rep.Settled = sr.Setup.OK == uint64(cfg.N)
	rep.SettleSeconds = time.Since(t0).Seconds()
	settled := sampleCPU(cfg.PID)
	rep.Connect.ServerCPUSettled = (settled.server - base.server).Seconds()
	rep.ServerRSSConnectedKB = settled.rssKB

	if cfg.Duration > 0 && ctx.Err() == nil && rep.Settled {
		r.phase.Store("quiet")
		sleepCtx(ctx, r.quietTime()) // the setup's own notifications go out
		if cfg.Idle > 0 {
			r.phase.Store("idle")
			i0 := sampleCPU(cfg.PID)
			sleepCtx(ctx, cfg.Idle)
			i1 := sampleCPU(cfg.PID)
			d, _ := serverCPUBetween(i0, i1)
			wall := i1.at.Sub(i0.at).Seconds()
			sr.Idle = &idleReport{Seconds: wall, ServerCores: d.Seconds() / wall, OthersCores: othersCores(i0, i1)}
		}
		sr.Window = r.scopedWindow(ctx, sr)
		rep.ServerRSSKB = sampleCPU(cfg.PID).rssKB
		if n := countOpen(r.conns); n > 0 && rep.ServerRSSKB > 0 {
			rep.ServerRSSPerConnKB = float64(rep.ServerRSSKB-rep.ServerRSSBaseKB) / float64(n)
		}
	}
	r.phase.Store("close")
	r.closeAll()
	rep.Errors = r.st.errorReport()
	rep.ErrorTotal = totalErrors(rep.Errors)
	if f := st.ackFailures(); len(f) > 0 {
		sr.AckFailures = f
	}
	rep.Failures = failures(rep)
	if rep.Connect.Connected < int64(rep.N) {
		rep.Failures = append(rep.Failures, "why sockets did not connect: "+r.connectFailures())
	}
	return rep, nil
}

// quietTime is the pause after the setup and after the window: 1 s, less
// for windows under 4 s (tests).
func (r *runner) quietTime() time.Duration { return min(time.Second, r.cfg.Duration/4) }

// scopeRequest is the request that puts c in scope: its room's join, or its
// watch list (none in global mode: binding does).
func (r *runner) scopeRequest(c *sioConn) (event string, k ackKind, payload []byte) {
	if r.cfg.Mode == modeWatch {
		return "presence:watch", akWatch, c.watchReq
	}
	return "presence:join", akJoin, joinPayload(r.scope.names[c.roomIdx], r.cfg.RoomMode)
}

// probe sends the first socket's request and tells a server that does not
// know the event (errUnsupported) from one that refused it.
func (r *runner) probe(ctx context.Context, c *sioConn) error {
	if c.ws == nil || isDone(c.done) || c.pongPre == nil {
		return fmt.Errorf("probe: the first socket did not connect: %w", r.noSocket(1))
	}
	event, k, payload := r.scopeRequest(c)
	res, err := c.call(ctx, k, event, payload, 10*time.Second)
	if err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	if res.ok {
		return nil
	}
	// The error event follows the refused ack.
	msg := ""
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if p := c.lastError.Load(); p != nil {
			msg = *p
			break
		}
	}
	return fmt.Errorf("probe: %w", unsupportedError(event, res, msg))
}

// setup puts every connected socket in scope: its join or watch, acked,
// -inflight at a time; in global mode, every socket's full list showing all
// N users online.
func (r *runner) setup(ctx context.Context, sr *scopedReport) {
	cfg := r.cfg
	r.phase.Store("setup")
	t0 := time.Now()
	if cfg.Mode == modeGlobal {
		sr.Setup.Request = fmt.Sprintf("full list showing all %d users online", cfg.N)
		sctx, cancel := context.WithTimeout(ctx, cfg.SettleTimeout)
		for !r.settled(true) && sctx.Err() == nil {
			sleepCtx(sctx, 20*time.Millisecond)
		}
		cancel()
		for _, c := range r.conns {
			if c.settledAt.Load() != 0 && !isDone(c.done) {
				c.inScope.Store(true)
				sr.Setup.OK++
			}
		}
		sr.Setup.Seconds = time.Since(t0).Seconds()
		return
	}
	event, _, _ := r.scopeRequest(r.conns[0])
	sr.Setup.Request = event + " acked ok"
	var lat histogram
	sctx, cancel := context.WithTimeout(ctx, cfg.SettleTimeout)
	defer cancel()
	r.parallel(sctx, r.conns, func(c *sioConn) {
		if c.inScope.Load() || c.ws == nil || isDone(c.done) {
			return
		}
		event, k, payload := r.scopeRequest(c)
		t := time.Now()
		if res, err := c.call(sctx, k, event, payload, 10*time.Second); err == nil && res.ok {
			lat.Record(time.Since(t))
		}
	})
	for _, c := range r.conns {
		if c.inScope.Load() {
			sr.Setup.OK++
		}
	}
	sr.Setup.Seconds, sr.Setup.Latency = time.Since(t0).Seconds(), lat.Summary()
}

// parallel runs fn over list, -inflight at a time, until done or ctx ends.
func (r *runner) parallel(ctx context.Context, list []*sioConn, fn func(*sioConn)) {
	jobs := make(chan *sioConn)
	var wg sync.WaitGroup
	for range min(r.cfg.Inflight, len(list)) {
		wg.Go(func() {
			for c := range jobs {
				fn(c)
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

// scopedWindow churns through the warm-up and the window and measures the
// window; the churn's last rejoins and their notifications are waited for.
func (r *runner) scopedWindow(ctx context.Context, sr *scopedReport) *scopedWindow {
	cfg, st := r.cfg, r.scope
	churnCtx, stopChurn := context.WithCancel(ctx)
	var ops sync.WaitGroup
	churned := make(chan struct{})
	st.churning.Store(true)
	go func() {
		defer close(churned)
		r.scopedChurn(churnCtx, ctx, &ops)
	}()
	r.phase.Store("warmup")
	sleepCtx(ctx, cfg.Warmup)

	r.phase.Store("window")
	s0, tr0 := sampleCPU(cfg.PID), r.traffic.snap()
	var ok0, failed0 [numAckKinds]uint64
	for k := range numAckKinds {
		ok0[k], failed0[k] = st.acksOK[k].Load(), st.acksFailed[k].Load()
	}
	st.winLo.Store(s0.at.UnixNano())
	r.windowAt.Store(s0.at.UnixNano())
	r.measuring.Store(true)
	sleepCtx(ctx, time.Until(s0.at.Add(cfg.Duration)))
	s1, tr1 := sampleCPU(cfg.PID), r.traffic.snap()
	st.winHi.Store(s1.at.UnixNano())
	r.measuring.Store(false)
	inScope := 0
	for _, c := range r.conns {
		if c.inScope.Load() {
			inScope++
		}
	}
	stopChurn()
	<-churned
	r.phase.Store("drain")
	ops.Wait()
	sleepCtx(ctx, r.quietTime()) // the notifications of the window's last changes

	win := s1.at.Sub(s0.at).Seconds()
	w := &scopedWindow{Seconds: win, StartS: s0.at.Sub(r.started).Seconds(), WarmupS: cfg.Warmup.Seconds(), Changes: st.changes.Load(), InScopeEnd: inScope}
	w.ChangesPerSec = float64(w.Changes) / win
	w.Traffic = trafficBetween(tr0, tr1, cfg.N, win)
	w.BytesPerSocketSec, w.FramesPerSocketSec = w.Traffic.Presence.BytesPerSocketSec, w.Traffic.Presence.FramesPerSocketSec
	cpu, src := serverCPUBetween(s0, s1)
	w.ServerCPUSeconds, w.ServerCores, w.CPUSource = cpu.Seconds(), cpu.Seconds()/win, src
	if w.Changes > 0 && cfg.PID > 0 {
		per := func(d time.Duration) float64 { return d.Seconds() * 1e6 / float64(w.Changes) }
		w.CPUPerChangeUS = per(cpu)
		w.StatCPUPerChangeUS = per(s1.server - s0.server)
		if sr.Idle != nil {
			net := cpu - time.Duration(sr.Idle.ServerCores*win*float64(time.Second))
			w.NetCPUPerChangeUS = per(max(net, 0))
		}
	}
	w.JoinNotify, w.LeaveNotify = st.joinNotify.Summary(), st.leaveNotify.Summary()
	w.JoinExpected, w.JoinNotified = st.joinExpect.Load(), st.joinGot.Load()
	w.LeaveExpected, w.LeaveNotified = st.leaveExpect.Load(), st.leaveGot.Load()
	if w.JoinExpected > 0 {
		w.JoinCoverage = float64(w.JoinNotified) / float64(w.JoinExpected)
	}
	if w.LeaveExpected > 0 {
		w.LeaveCoverage = float64(w.LeaveNotified) / float64(w.LeaveExpected)
	}
	w.Acks = map[string]ackReport{}
	for k := akJoin; k < numAckKinds; k++ {
		a := ackReport{OK: st.acksOK[k].Load() - ok0[k], Failed: st.acksFailed[k].Load() - failed0[k], Latency: st.ackLatency[k].Summary()}
		if a.OK+a.Failed > 0 || a.Latency.Count > 0 {
			w.Acks[k.String()] = a
		}
	}
	if cfg.Mode == modeRooms && cfg.RoomMode == "count" {
		w.Count = &countReport{Frames: st.countFrames.Load(), MinGapMS: float64(st.countMinGap.Load()) / 1e6}
		w.Count.FramesPerMemberSec = float64(w.Count.Frames) / float64(cfg.N) / win
		for _, c := range r.conns {
			if rate, ok := c.countRate(); ok {
				w.Count.MaxRatePerMember = max(w.Count.MaxRatePerMember, rate)
			}
		}
	}
	w.SelfCores = (s1.self - s0.self).Seconds() / win
	w.OthersCores = othersCores(s0, s1)
	w.KernelCores = kernelCores(s0, s1)
	return w
}

// scopedChurn makes -churn leaves + rejoins a second, each on a random
// socket in scope that no other operation holds, until ctx ends; each
// operation runs on opCtx (the run's), so that every leave gets its rejoin.
func (r *runner) scopedChurn(ctx, opCtx context.Context, ops *sync.WaitGroup) {
	const tick = 10 * time.Millisecond
	t := time.NewTicker(tick)
	defer t.Stop()
	credit, last := 0.0, time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			credit += r.cfg.Churn * now.Sub(last).Seconds()
			last = now
		}
		for ; credit >= 1; credit-- {
			c := r.pickIdle()
			if c == nil {
				break // every candidate busy: the credit waits for the next tick
			}
			ops.Go(func() {
				defer c.busy.Store(false)
				r.churnOne(opCtx, c)
			})
		}
	}
}

// pickIdle takes a random socket in scope that no operation holds and
// whose last join has been published. A socket that rejoined is not made to
// leave again before a socket in its audience has heard of the rejoin (or
// publishWait has passed): the server coalesces the changes of one window
// (up to 100 ms by the contract), so a leave sent inside the window of the
// join it follows cancels that join, which no one is then told of, and
// the run would count the join's whole audience as missed notifications.
func (r *runner) pickIdle() *sioConn {
	now := time.Now().UnixNano()
	for range 32 {
		c := r.conns[rand.IntN(len(r.conns))]
		if c.inScope.Load() && c.published(now) && c.busy.CompareAndSwap(false, true) {
			if c.inScope.Load() {
				return c
			}
			c.busy.Store(false)
		}
	}
	return nil
}

// publishWait bounds how long the churn waits for a rejoin to be heard
// before it may churn the socket again (a join that is never heard is the
// coverage's to report, not the churn's to stall on).
const publishWait = time.Second

// published reports whether c's last join has been heard by a socket of
// its audience (or had none), or was sent more than publishWait before now
// (unix ns).
func (c *sioConn) published(now int64) bool {
	return !c.unheard.Load() || now-c.joinAt.Load() > int64(publishWait)
}

// churnOne makes c leave and, -churn-hold later, return.
func (r *runner) churnOne(ctx context.Context, c *sioConn) {
	cfg, st := r.cfg, r.scope
	now := func() int64 { return time.Now().UnixNano() }
	switch {
	case cfg.Mode == modeRooms:
		room := st.names[c.roomIdx]
		c.inScope.Store(false)
		at := now()
		st.changed(c, false, at)
		if c.request(akLeave, "presence:leave", leavePayload(room), at, nil) != nil || !sleepCtx(ctx, cfg.ChurnHold) {
			return
		}
		at = now()
		st.changed(c, true, at)
		_ = c.request(akJoin, "presence:join", joinPayload(room, cfg.RoomMode), at, nil)
	case cfg.Mode == modeGlobal && cfg.ChurnBy == churnByLogout:
		c.inScope.Store(false)
		c.unbound.Store(true)
		at := now()
		st.changed(c, false, at)
		if c.request(akLogout, "ng-action", []byte(`{"action":"logout"}`), at, nil) != nil || !sleepCtx(ctx, cfg.ChurnHold) {
			return
		}
		c.fullNext.Store(true)
		at = now()
		st.changed(c, true, at)
		login := codec.AppendJSONString([]byte(`{"action":"login","token":`), c.token)
		_ = c.request(akLogin, "ng-action", append(login, '}'), at, nil)
		c.unbound.Store(false)
	default: // watch, or global by close: the socket closes and a new one binds
		c.inScope.Store(false)
		st.changed(c, false, now())
		c.shut(true)
		if !sleepCtx(ctx, cfg.ChurnHold) {
			return
		}
		if err := c.open(ctx); err != nil {
			r.st.connectFailed(err)
			return
		}
		st.changed(c, true, now())
		if err := c.bind(ctx); err != nil {
			if err != errRefused {
				r.st.connectFailed(err)
			}
			return
		}
		if cfg.Mode == modeWatch {
			_ = c.request(akWatch, "presence:watch", c.watchReq, now(), nil)
		} else {
			c.inScope.Store(true)
		}
	}
}

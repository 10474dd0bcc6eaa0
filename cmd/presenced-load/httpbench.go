package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// httpBench measures logins per second (bcrypt at the server's cost) and
// authenticated GETs per second. It registers its own users first (at the
// cost the server was started with), under a fresh prefix.
func httpBench(ctx context.Context, cfg *config) (*report, error) {
	rep := &report{Mode: modeHTTP, URL: cfg.URL, ServerPID: cfg.PID}
	h := &httpReport{}
	rep.HTTP = h
	nUsers := max(cfg.HTTPConc, 4)
	prefix := fmt.Sprintf("%s_h%06d", cfg.Prefix, rand.IntN(1_000_000))
	sub := *cfg
	sub.Users, sub.Probes, sub.Prefix, sub.Tokens = nUsers, 0, prefix, "/dev/null"
	s, err := seed(ctx, &sub, nil)
	if err != nil {
		return nil, err
	}
	h.Registered = len(s.Users)
	api := newAPIClient(cfg.URL, cfg.HTTPConc)
	var errs atomic.Uint64
	var firstErr atomic.Pointer[string] // the first failed login or GET, for the reason of a failed run
	fail := func(msg string) {
		errs.Add(1)
		firstErr.CompareAndSwap(nil, &msg)
	}
	reason := func() string {
		if p := firstErr.Load(); p != nil {
			return *p
		}
		return "no error recorded"
	}

	// Logins: -login-conc in flight for -duration.
	var logins atomic.Uint64
	var loginLat histogram
	s0 := sampleCPU(cfg.PID)
	lctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	var wg sync.WaitGroup
	for w := range cfg.HTTPConc {
		wg.Go(func() {
			for i := w; lctx.Err() == nil; i++ {
				u := s.Users[i%len(s.Users)]
				t0 := time.Now()
				if _, err := api.login(lctx, u.Username, u.Password); err != nil {
					if lctx.Err() == nil {
						fail(err.Error())
					}
					continue
				}
				loginLat.Record(time.Since(t0))
				logins.Add(1)
			}
		})
	}
	wg.Wait()
	cancel()
	s1 := sampleCPU(cfg.PID)
	win := s1.at.Sub(s0.at).Seconds()
	h.Logins, h.LoginLatency = logins.Load(), loginLat.Summary()
	h.LoginsPerSec = float64(h.Logins) / win
	h.LoginOthers = othersCores(s0, s1)
	h.LoginServerCore = (s1.server - s0.server).Seconds() / win
	if h.Logins == 0 {
		return nil, fmt.Errorf("no login succeeded in %.1fs (%d failed; first: %s)", win, errs.Load(), reason())
	}
	if cfg.PID > 0 {
		h.LoginCPUMicros = (s1.server - s0.server).Seconds() * 1e6 / float64(h.Logins)
	}

	loginErrs := errs.Load()
	firstErr.Store(nil) // the GETs' own first error

	// GETs: -get-conc keep-alive connections for -duration.
	d := newDialer("")
	getters := make([]*rawGetter, 0, cfg.GetConc)
	defer func() {
		for _, g := range getters {
			g.close()
		}
	}()
	for i := range cfg.GetConc {
		g, err := dialGetter(ctx, d, cfg.host, cfg.GetPath, s.Users[i%len(s.Users)].Token)
		if err != nil {
			return nil, err
		}
		getters = append(getters, g)
	}
	var gets atomic.Uint64
	var getLat histogram
	s0 = sampleCPU(cfg.PID)
	gctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	for _, g := range getters {
		wg.Go(func() {
			for gctx.Err() == nil {
				t0 := time.Now()
				status, err := g.get()
				if err != nil || status != 200 {
					if err != nil {
						fail(fmt.Sprintf("GET %s: %v", cfg.GetPath, err))
						return
					}
					fail(fmt.Sprintf("GET %s: HTTP %d", cfg.GetPath, status))
					continue
				}
				getLat.Record(time.Since(t0))
				gets.Add(1)
			}
		})
	}
	wg.Wait()
	s1 = sampleCPU(cfg.PID)
	win = s1.at.Sub(s0.at).Seconds()
	h.Gets, h.GetLatency = gets.Load(), getLat.Summary()
	h.GetsPerSec = float64(h.Gets) / win
	h.GetOthers = othersCores(s0, s1)
	h.GetSelfCores = (s1.self - s0.self).Seconds() / win
	h.GetServerCores = (s1.server - s0.server).Seconds() / win
	if h.Gets == 0 {
		return nil, fmt.Errorf("no GET %s succeeded in %.1fs (%d failed; first: %s)", cfg.GetPath, win, errs.Load()-loginErrs, reason())
	}
	if cfg.PID > 0 {
		h.GetCPUMicros = (s1.server - s0.server).Seconds() * 1e6 / float64(h.Gets)
	}
	h.Errors = errs.Load()
	rep.ErrorTotal = h.Errors
	rep.Errors = map[string]uint64{"http": h.Errors}
	return rep, nil
}

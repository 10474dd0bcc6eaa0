package main

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// seed registers -users users and -probes probe users and writes their ids,
// passwords and tokens to -tokens (none when it is empty). Registration is
// bcrypt-bound on the server: a few in flight keep its core busy. The first
// failed registration stops the feed (those in flight finish); a rate-limited one (HTTP 429) says
// which server flag lifts the limit. With log, progress lines go there
// every -progress.
func seed(ctx context.Context, cfg *config, log io.Writer) (*seedFile, error) {
	api := newAPIClient(cfg.URL, 8)
	s := &seedFile{URL: cfg.URL, Users: make([]seedUser, cfg.Users), Probes: make([]seedUser, cfg.Probes)}
	total := cfg.Users + cfg.Probes
	type job struct {
		dst  *seedUser
		name string
	}
	stop := make(chan struct{}) // closed at the first failure: no new registration starts
	jobs := make(chan job)
	var wg sync.WaitGroup
	var failed atomic.Pointer[error]
	var done atomic.Int64
	for range min(8, total) {
		wg.Go(func() {
			for j := range jobs {
				u, err := api.register(ctx, j.name, passwordFor(j.name))
				if err != nil {
					if ctx.Err() == nil { // not the phase's bound
						err = fmt.Errorf("register %s: %w", j.name, err)
						if failed.CompareAndSwap(nil, &err) {
							close(stop)
						}
					}
					continue
				}
				*j.dst = u
				done.Add(1)
			}
		})
	}
	stopProgress := seedProgress(ctx, cfg, log, &done, total)
	t0 := time.Now()
feed:
	for i := range total {
		j := job{name: fmt.Sprintf("%s_p%05d", cfg.Prefix, i-cfg.Users)}
		if i < cfg.Users {
			j = job{&s.Users[i], fmt.Sprintf("%s_u%05d", cfg.Prefix, i)}
		} else {
			j.dst = &s.Probes[i-cfg.Users]
		}
		select {
		case jobs <- j:
		case <-stop:
			break feed
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	stopProgress()
	if p := failed.Load(); p != nil {
		return nil, seedError(*p, done.Load(), total)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("registering users: %w after %.0fs, %d of %d registered", context.Cause(ctx), time.Since(t0).Seconds(), done.Load(), total)
	}
	if cfg.Tokens == "" {
		return s, nil
	}
	return s, writeSeed(cfg.Tokens, s)
}

// seedError explains a failed registration; HTTP 429 is the server's
// -register-rate (registrations per client address per minute).
func seedError(err error, done int64, total int) error {
	var he *httpError
	if errors.As(err, &he) && he.Status == http.StatusTooManyRequests {
		wait := ""
		if he.RetryAfter != "" {
			wait = ", Retry-After " + he.RetryAfter + " s"
		}
		return fmt.Errorf("registration is rate-limited by the server (POST %s answered %s%s) after %d of %d users: "+
			"start the server with -register-rate 0, or pass -tokens with a file seeded earlier (-mode seed)", he.Path, he.StatusText, wait, done, total)
	}
	return fmt.Errorf("%w (%d of %d users registered)", err, done, total)
}

// seedProgress prints "phase=seed registered=K/N registered/s=R" every
// -progress on log (nothing when log is nil).
func seedProgress(ctx context.Context, cfg *config, log io.Writer, done *atomic.Int64, total int) func() {
	if log == nil || cfg.Progress <= 0 {
		return func() {}
	}
	pctx, cancel := context.WithCancel(ctx)
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(cfg.Progress)
		defer t.Stop()
		prev, prevAt := done.Load(), time.Now()
		for {
			select {
			case <-pctx.Done():
				return
			case now := <-t.C:
				cur := done.Load()
				fmt.Fprintf(log, "phase=seed registered=%d/%d registered/s=%s\n", cur, total, formatRate(float64(cur-prev)/now.Sub(prevAt).Seconds()))
				prev, prevAt = cur, now
			}
		}
	}()
	return func() { cancel(); <-stopped }
}

// autoSeed registers the accounts a run needs when it was given no -tokens:
// -users users (sockets mode; scoped modes: -n) and -probes probes, under
// a fresh prefix so that runs against the same server do not collide. The
// tokens are kept in memory only.
func autoSeed(ctx context.Context, cfg *config, log io.Writer) (*seedFile, error) {
	sub := *cfg
	sub.Users = cfg.seedUsers()
	sub.Prefix = fmt.Sprintf("%s%06d", cfg.Prefix, rand.IntN(1_000_000))
	fmt.Fprintf(log, "presenced-load: no -tokens: registering %d users and %d probes as %s_u00000… (bounded by -connect-timeout %v)\n",
		sub.Users, sub.Probes, sub.Prefix, cfg.ConnectTimeout)
	sctx, cancel := context.WithTimeoutCause(ctx, cfg.ConnectTimeout, fmt.Errorf("-connect-timeout %v passed", cfg.ConnectTimeout))
	defer cancel()
	t0 := time.Now()
	s, err := seed(sctx, &sub, log)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "presenced-load: registered %d users and %d probes in %.1fs (to reuse accounts, seed once with -mode seed and pass -tokens)\n",
		len(s.Users), len(s.Probes), time.Since(t0).Seconds())
	return s, nil
}

// passwordFor is a throwaway benchmark user's password: long enough and
// unlike its username, as the register validators want.
func passwordFor(username string) string {
	h := fnv.New64a()
	h.Write([]byte(username))
	return fmt.Sprintf("Pw-%016x-bench!", h.Sum64())
}

package main

import (
	"context"
	"fmt"
	"hash/fnv"
	"sync"
	"sync/atomic"
)

// seed registers -users users and -probes probe users and writes their ids,
// passwords and tokens to -tokens. Registration is bcrypt-bound on the
// server: a few in flight keep its core busy.
func seed(ctx context.Context, cfg *config) (*seedFile, error) {
	api := newAPIClient(cfg.URL, 8)
	s := &seedFile{URL: cfg.URL, Users: make([]seedUser, cfg.Users), Probes: make([]seedUser, cfg.Probes)}
	type job struct {
		dst  *seedUser
		name string
	}
	jobs := make(chan job)
	var wg sync.WaitGroup
	var failed atomic.Value
	for range min(8, cfg.Users+cfg.Probes) {
		wg.Go(func() {
			for j := range jobs {
				u, err := api.register(ctx, j.name, passwordFor(j.name))
				if err != nil {
					failed.CompareAndSwap(nil, err)
					continue
				}
				*j.dst = u
			}
		})
	}
	for i := range s.Users {
		jobs <- job{&s.Users[i], fmt.Sprintf("%s_u%05d", cfg.Prefix, i)}
	}
	for i := range s.Probes {
		jobs <- job{&s.Probes[i], fmt.Sprintf("%s_p%05d", cfg.Prefix, i)}
	}
	close(jobs)
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		return nil, fmt.Errorf("register: %w", err)
	}
	return s, writeSeed(cfg.Tokens, s)
}

// passwordFor is a throwaway benchmark user's password: long enough and
// unlike its username, as the register validators want.
func passwordFor(username string) string {
	h := fnv.New64a()
	h.Write([]byte(username))
	return fmt.Sprintf("Pw-%016x-bench!", h.Sum64())
}

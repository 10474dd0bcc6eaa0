package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// seed makes, for each server kind, a template directory with seedUsers
// users and seedProbes probe users registered (bcrypt cost 4: seeding
// only) and their long-lived tokens; each run starts from a copy.
func (b *bench) seed(ctx context.Context) error {
	b.seeds = map[string]string{}
	for _, kind := range []string{kindPresenced, kindPeer} {
		dir := filepath.Join(b.work, "seed-"+kind)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		s, err := b.startServer(ctx, kind, dir, scenario{Ping: "10s"})
		if err != nil {
			return err
		}
		_, stderr, _, err := b.runLoad(ctx, []string{"-mode", "seed", "-url", s.url, "-users", itoa(seedUsers),
			"-probes", itoa(seedProbes), "-tokens", filepath.Join(dir, "seed.json")}, 2*time.Minute)
		s.stop()
		if err != nil {
			return fmt.Errorf("seeding %s: %v: %s", kind, err, stderr)
		}
		_ = os.Remove(filepath.Join(dir, kind+".log"))
		b.seeds[seedKey(kind, 0)] = dir
		b.logf("seeded %s: %d users + %d probes", kind, seedUsers, seedProbes)
	}
	return nil
}

// seedKey names a seed template: a server kind and its users (0: the
// default template).
func seedKey(kind string, users int) string { return kind + "-" + itoa(users) }

// seedLarge makes the templates of the planned scenarios that need more
// users than the default (the scoped scenarios: N sockets of N users), one
// per server kind and size.
func (b *bench) seedLarge(ctx context.Context, plan []scenario) error {
	for _, sc := range plan {
		if sc.Users == 0 {
			continue
		}
		kinds := sc.Kinds
		if len(kinds) == 0 {
			kinds = []string{kindPresenced, kindPeer}
		}
		for _, kind := range kinds {
			key := seedKey(kind, sc.Users)
			if _, ok := b.seeds[key]; ok {
				continue
			}
			dir := filepath.Join(b.work, "seed-"+key)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			t0 := time.Now()
			s, err := b.startServer(ctx, kind, dir, scenario{Ping: "10s"})
			if err != nil {
				return fmt.Errorf("seeding %s with %d users: %w", kind, sc.Users, err)
			}
			_, stderr, _, err := b.runLoad(ctx, []string{"-mode", "seed", "-url", s.url, "-users", itoa(sc.Users), "-prefix", "scoped",
				"-tokens", filepath.Join(dir, "seed.json")}, 5*time.Minute)
			s.stop()
			if err != nil {
				return fmt.Errorf("seeding %s with %d users: %w: %s", kind, sc.Users, err, lastLines(stderr, 3))
			}
			_ = os.Remove(filepath.Join(dir, kind+".log"))
			b.seeds[key] = dir
			b.logf("seeded %s: %s users in %.0fs", kind, comma(sc.Users), time.Since(t0).Seconds())
		}
	}
	return nil
}

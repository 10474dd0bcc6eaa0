// Command presenced-load is the load generator for presenced and its Node
// peer (bench/peer). It speaks Engine.IO v4 / Socket.IO v5 itself over a lean
// websocket client, using presenced's own codec (package ws), so that one
// core of client outruns one core of server:
//
//   - -mode seed registers users and writes their tokens to a file;
//   - -mode sockets (the default) spreads N bound connections over those
//     users, answers every Engine.IO ping and every server-action:ping with
//     the original pong, optionally hammers unsolicited pongs, churns
//     connections or logs in first (connect storm), closes probe sockets to
//     time tab-close → everyone notified, and reports connect rate, pings and
//     pongs per second, fan-out latency (receive time − the ping's ts), errors,
//     and with -pid the server's CPU per pong and RSS per connection;
//   - -mode http measures logins per second and authenticated GETs per second;
//   - -mode rooms, watch and global (the scoped-presence issue) run N
//     sockets of N users: in rooms (presence:join, list or count mode), each
//     watching others (presence:watch), or only bound (the global list as
//     the baseline), with a churn of leaves and rejoins, and report bytes
//     and frames received per socket per second by kind, the server's CPU
//     per change, join → other members notified latency, ack latencies and,
//     in count mode, frames per member per second. A refused ack, a server
//     error or a protocol error fails the run (exit 1, with the reasons); a
//     server that does not know the events exits 3.
//
// It only targets loopback, and every phase is bounded in time and count.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseConfig(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "presenced-load: %v\n", err)
		return 2
	}
	if cfg.CPUProf != "" {
		f, err := os.Create(cfg.CPUProf)
		if err != nil {
			fmt.Fprintf(stderr, "presenced-load: %v\n", err)
			return 2
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(stderr, "presenced-load: %v\n", err)
			return 2
		}
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, cfg.MaxTime)
	defer cancel()

	if err := preflight(ctx, cfg); err != nil {
		fmt.Fprintf(stderr, "presenced-load: %s\n", oneLine(err.Error()))
		return 1
	}

	var rep *report
	switch cfg.Mode {
	case modeSeed:
		s, err := seed(ctx, cfg, stderr)
		if err != nil {
			fmt.Fprintf(stderr, "presenced-load: %s\n", oneLine(err.Error()))
			return 1
		}
		fmt.Fprintf(stderr, "presenced-load: registered %d users and %d probes into %s\n", len(s.Users), len(s.Probes), cfg.Tokens)
		return 0
	case modeHTTP:
		rep, err = httpBench(ctx, cfg)
	default:
		var s *seedFile
		if cfg.Tokens == "" {
			s, err = autoSeed(ctx, cfg, stderr)
		} else {
			s, err = readSeed(cfg.Tokens)
		}
		if err == nil {
			var r *runner
			if r, err = newRunner(cfg, s, stderr); err == nil {
				if scoped(cfg.Mode) {
					rep, err = r.runScoped(ctx)
				} else {
					rep, err = r.run(ctx)
				}
			}
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "presenced-load: %s\n", oneLine(err.Error()))
		switch {
		case errors.Is(err, errUsage):
			return 2
		case errors.Is(err, errUnsupported):
			return exitUnsupported
		}
		return 1
	}
	if cfg.Tokens == "" && cfg.Mode != modeHTTP && cfg.Mode != modeSeed {
		rep.Seeded = cfg.seedUsers() + cfg.Probes
	}
	if cfg.JSON {
		if err := rep.writeJSON(stdout); err != nil {
			return 1
		}
	} else {
		rep.writeText(stdout)
	}
	if ctx.Err() != nil {
		fmt.Fprintf(stderr, "presenced-load: stopped early: %v\n", context.Cause(ctx))
		return 1
	}
	if len(rep.Failures) > 0 {
		for _, f := range rep.Failures {
			fmt.Fprintf(stderr, "presenced-load: failed: %s\n", f)
		}
		return 1
	}
	return 0
}

// exitUnsupported is the exit status when the server does not implement
// the mode's events (rooms and watchlists): 1 is a failed run, 2 a usage
// error.
const exitUnsupported = 3

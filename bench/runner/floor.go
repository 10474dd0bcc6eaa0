package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The loopback floor: the CPU one small frame costs, sent on one socket and
// read on its peer, round robin over n connected pairs — what no server can
// go below per ping or per pong on this machine. The runner measures it in a
// child process pinned to the server's core (`-floor n`).

func measureFloor(n int, d time.Duration) (float64, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	cs := make([]net.Conn, 0, n)
	ss := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range append(cs, ss...) {
			c.Close()
		}
	}()
	for range n {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			return 0, err
		}
		s, err := ln.Accept()
		if err != nil {
			return 0, err
		}
		cs, ss = append(cs, c), append(ss, s)
	}
	msg := make([]byte, 64) // a ping frame's size
	buf := make([]byte, 4096)
	var r0, r1 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &r0)
	frames := 0
	for t0 := time.Now(); time.Since(t0) < d; {
		for _, c := range cs {
			if _, err := c.Write(msg); err != nil {
				return 0, err
			}
		}
		for _, s := range ss {
			if _, err := s.Read(buf); err != nil {
				return 0, err
			}
		}
		frames += n
	}
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &r1)
	cpu := time.Duration(r1.Utime.Nano() + r1.Stime.Nano() - r0.Utime.Nano() - r0.Stime.Nano())
	return float64(cpu.Nanoseconds()) / 1000 / float64(frames), nil
}

// runFloor measures the floor in a child pinned to the server's core.
func (b *bench) runFloor(ctx context.Context, n int) (float64, error) {
	self, err := os.Executable()
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "taskset", "-c", b.serverCPU, self, "-floor", strconv.Itoa(n))
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
	out, err := cmd.Output()
	if err != nil {
		return 0, fmt.Errorf("floor: %w", err)
	}
	return strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
}

package main

import (
	"bytes"
	"context"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// countSyscalls counts the server's system calls for -syscalls while the
// load goes on, with perf's raw_syscalls tracepoint (every call, every
// thread); without perf, /proc/PID/io's read and write calls only. It runs
// after the window so that tracing does not tax the window's CPU figures.
func (r *runner) countSyscalls(ctx context.Context) *syscallReport {
	d := r.cfg.Syscalls
	p0 := r.st.pongs.Load() + r.st.hammer.Load()
	t0 := time.Now()
	rep := &syscallReport{}
	if n, ok := perfSyscalls(ctx, r.cfg.PID, d); ok {
		rep.Method, rep.Count = "perf", n
	} else {
		a, err1 := procSyscallsIO(r.cfg.PID)
		sleepCtx(ctx, d)
		b, err2 := procSyscallsIO(r.cfg.PID)
		if err1 != nil || err2 != nil {
			return nil
		}
		rep.Method, rep.Count = "proc-io", float64(b-a)
	}
	rep.Seconds = time.Since(t0).Seconds()
	rep.Pongs = float64(r.st.pongs.Load() + r.st.hammer.Load() - p0)
	if rep.Pongs > 0 {
		rep.PerPong = rep.Count / rep.Pongs
	}
	return rep
}

func perfSyscalls(ctx context.Context, pid int, d time.Duration) (float64, bool) {
	if _, err := exec.LookPath("perf"); err != nil {
		return 0, false
	}
	cctx, cancel := context.WithTimeout(ctx, d+10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(cctx, "perf", "stat", "-x,", "-e", "raw_syscalls:sys_enter",
		"-p", strconv.Itoa(pid), "--", "sleep", strconv.FormatFloat(d.Seconds(), 'f', 3, 64))
	var out bytes.Buffer
	cmd.Stderr = &out // perf stat writes its counts on stderr
	if err := cmd.Run(); err != nil {
		return 0, false
	}
	return parsePerfCSV(out.String())
}

// parsePerfCSV reads the count of `perf stat -x,` output's event line.
func parsePerfCSV(s string) (float64, bool) {
	for _, line := range strings.Split(s, "\n") {
		f := strings.Split(line, ",")
		if len(f) < 3 || !strings.Contains(line, "raw_syscalls:sys_enter") {
			continue
		}
		v, err := strconv.ParseFloat(f[0], 64)
		return v, err == nil
	}
	return 0, false
}

package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"
)

// Figures read from /proc: a process's CPU time and resident memory, and the
// machine's busy time, so that a run can say what the server cost and
// whether anything else competed for the cores.

// userHZ is the unit of /proc's CPU times (USER_HZ, 100 on every Linux ABI
// Go supports).
const userHZ = 100

func ticks(n uint64) time.Duration { return time.Duration(n) * time.Second / userHZ }

var errProcFormat = errors.New("unexpected /proc format")

// procCPU is a process's user+system CPU time.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseProcStatCPU(b)
}

func parseProcStatCPU(b []byte) (time.Duration, error) {
	// The command name is in parentheses and may hold spaces: fields count
	// from the last ')'. utime and stime are fields 14 and 15.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errProcFormat
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 13 {
		return 0, errProcFormat
	}
	u, err1 := strconv.ParseUint(string(f[11]), 10, 64)
	s, err2 := strconv.ParseUint(string(f[12]), 10, 64)
	if err1 != nil || err2 != nil {
		return 0, errProcFormat
	}
	return ticks(u + s), nil
}

// procRSSKB is a process's resident set (VmRSS) in KiB.
func procRSSKB(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	return statusField(b, "VmRSS:")
}

func statusField(b []byte, name string) (int64, error) {
	i := bytes.Index(b, []byte(name))
	if i < 0 {
		return 0, errProcFormat
	}
	f := bytes.Fields(b[i+len(name):])
	if len(f) == 0 {
		return 0, errProcFormat
	}
	return strconv.ParseInt(string(f[0]), 10, 64)
}

// procSyscallsIO is the read and write system calls a process made
// (/proc/PID/io syscr + syscw): the fallback count when perf is missing.
func procSyscallsIO(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		return 0, err
	}
	r, err1 := statusField(b, "syscr:")
	w, err2 := statusField(b, "syscw:")
	if err1 != nil || err2 != nil {
		return 0, errProcFormat
	}
	return r + w, nil
}

// machineBusy is the time all cores spent running tasks: user, nice, system
// and steal. Interrupt and softirq time is left out: with IRQ time
// accounting it is not charged to any task, and on loopback it is mostly the
// benchmark's own packets.
func machineBusy() (time.Duration, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	return parseMachineBusy(b)
}

func parseMachineBusy(b []byte) (time.Duration, error) {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := bytes.Fields(line)
	if len(f) < 9 || string(f[0]) != "cpu" {
		return 0, errProcFormat
	}
	var busy uint64
	// user nice system idle iowait irq softirq steal [guest guest_nice: already in user]
	for i, v := range f[1:9] {
		n, err := strconv.ParseUint(string(v), 10, 64)
		if err != nil {
			return 0, errProcFormat
		}
		switch i {
		case 0, 1, 2, 7:
			busy += n
		}
	}
	return ticks(busy), nil
}

// pfKthread marks a kernel thread in /proc/PID/stat's flags.
const pfKthread = 0x00200000

// kernelThreadsCPU is the CPU time of all kernel threads (kworkers,
// ksoftirqd…): work the kernel does, much of it for the benchmark's own
// sockets, which the noise figure leaves out.
func kernelThreadsCPU() time.Duration {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	var total time.Duration
	for _, e := range ents {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := bytes.Fields(b[i+1:])
		if len(f) < 13 {
			continue
		}
		flags, _ := strconv.ParseUint(string(f[6]), 10, 64)
		if flags&pfKthread == 0 {
			continue
		}
		if cpu, err := parseProcStatCPU(b); err == nil {
			total += cpu
		}
	}
	return total
}

// procRunTime is a process's CPU time in nanoseconds: the sum of its
// threads' time on a CPU (/proc/PID/task/*/schedstat, first field). Unlike
// /proc/PID/stat's 10 ms ticks it resolves the few milliseconds a window of
// a lightly loaded server costs; a thread that exited during the window is
// missing from it (Go's threads park rather than exit). ok is false where
// the kernel has no schedstat.
func procRunTime(pid int) (time.Duration, bool) {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return 0, false
	}
	var total time.Duration
	for _, e := range ents {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/schedstat", pid, e.Name()))
		if err != nil {
			continue // the thread exited meanwhile
		}
		ns, err := parseSchedstat(b)
		if err != nil {
			return 0, false
		}
		total += ns
	}
	return total, true
}

// parseSchedstat reads the time on CPU (ns) from a schedstat line: "run
// wait timeslices".
func parseSchedstat(b []byte) (time.Duration, error) {
	f := bytes.Fields(b)
	if len(f) < 3 {
		return 0, errProcFormat
	}
	ns, err := strconv.ParseUint(string(f[0]), 10, 64)
	if err != nil {
		return 0, errProcFormat
	}
	return time.Duration(ns), nil
}

// cpuSample is one reading of everything a window's CPU figures need.
type cpuSample struct {
	at      time.Time
	server  time.Duration
	run     time.Duration // server, from schedstat (ns); valid when hasRun
	hasRun  bool
	self    time.Duration
	machine time.Duration
	kernel  time.Duration // kernel threads
	rssKB   int64
}

// sampleCPU reads the server's (pid 0: none) and this process's CPU and the
// machine's busy time.
func sampleCPU(pid int) cpuSample {
	s := cpuSample{at: time.Now()}
	if pid > 0 {
		s.server, _ = procCPU(pid)
		s.run, s.hasRun = procRunTime(pid)
		s.rssKB, _ = procRSSKB(pid)
	}
	s.self, _ = procCPU(os.Getpid())
	s.machine, _ = machineBusy()
	s.kernel = kernelThreadsCPU()
	return s
}

// serverCPUBetween is the server's CPU time from a to b: from schedstat
// when both samples have it, else from /proc/PID/stat; source names which.
func serverCPUBetween(a, b cpuSample) (d time.Duration, source string) {
	if a.hasRun && b.hasRun {
		return b.run - a.run, "schedstat"
	}
	return b.server - a.server, "stat"
}

// othersCores is the CPU, in cores, that other processes used between a
// and b (not the server, not this process, not kernel threads): the noise a
// run is judged by.
func othersCores(a, b cpuSample) float64 {
	wall := b.at.Sub(a.at).Seconds()
	if wall <= 0 {
		return 0
	}
	other := (b.machine - a.machine) - (b.server - a.server) - (b.self - a.self) - (b.kernel - a.kernel)
	return max(0, other.Seconds()/wall)
}

// kernelCores is the kernel threads' CPU between a and b, in cores.
func kernelCores(a, b cpuSample) float64 {
	wall := b.at.Sub(a.at).Seconds()
	if wall <= 0 {
		return 0
	}
	return (b.kernel - a.kernel).Seconds() / wall
}

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// server is one running presenced or peer process, pinned to the server core.
type server struct {
	kind string
	cmd  *exec.Cmd
	url  string
	pid  int
	log  string
	args []string // the command line, for BENCHMARKS.md
	done chan error
}

var listeningRE = regexp.MustCompile(`listening.*addr=(\S+)`)

// serverCommand is the command line of kind on dir's database with the
// scenario's flags, without the pinning.
func (b *bench) serverCommand(kind, dir string, sc scenario) []string {
	cost := sc.Cost
	if cost == 0 {
		cost = 4
	}
	flags := []string{"-addr", "127.0.0.1:0", "-ping-interval", sc.Ping, "-bcrypt-cost", itoa(cost)}
	if sc.Grace != "" {
		flags = append(flags, "-offline-grace", sc.Grace)
	}
	if kind == kindPresenced {
		// A load test is one client address with many users and sockets: no limits.
		flags = append(flags, "-register-rate", "0", "-max-conns", "0", "-max-conns-per-ip", "0", "-max-conns-per-user", "0")
		flags = append(flags, sc.ServerFlags...)
		return append([]string{b.presenced, "-db", "sqlite://" + filepath.Join(dir, "presenced.db")}, flags...)
	}
	script := "server.js"
	if sc.Key != "" && b.peerJS != "" { // seeding (no key) needs the whole contract
		script = b.peerJS
	}
	return append([]string{b.node, "--disable-warning=ExperimentalWarning", filepath.Join(b.peerDir, script),
		"-db", "sqlite://" + filepath.Join(dir, "peer.db")}, flags...)
}

// startServer starts kind pinned to serverCPU (Go: GOMAXPROCS=1) and waits
// until it listens.
func (b *bench) startServer(ctx context.Context, kind, dir string, sc scenario) (*server, error) {
	argv := b.serverCommand(kind, dir, sc)
	full := append([]string{"taskset", "-c", b.serverCPU}, argv...)
	cmd := exec.Command(full[0], full[1:]...)
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
	logPath := filepath.Join(dir, kind+".log")
	lf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	// The server writes its log straight to the file: a pipe read by the
	// runner would put the runner's CPU into the run (presenced logs every
	// HTTP request at info level).
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err = cmd.Start()
	lf.Close()
	if err != nil {
		return nil, err
	}
	s := &server{kind: kind, cmd: cmd, pid: cmd.Process.Pid, log: logPath, args: argv, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait() }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if b, err := os.ReadFile(logPath); err == nil {
			if m := listeningRE.FindSubmatch(b); m != nil {
				s.url = "http://" + string(m[1])
				return s, nil
			}
		}
		select {
		case err := <-s.done:
			s.done <- err
			log, _ := os.ReadFile(logPath)
			return nil, fmt.Errorf("%s exited at start: %v: %s", kind, err, lastLines(string(log), 2))
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("%s did not listen within 20s (log %s)", kind, logPath)
		}
	}
}

// stop ends the server by its pid (SIGTERM, then SIGKILL after 10 s).
func (s *server) stop() {
	_ = syscall.Kill(s.pid, syscall.SIGTERM)
	select {
	case err := <-s.done:
		s.done <- err
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(s.pid, syscall.SIGKILL)
		err := <-s.done
		s.done <- err
	}
}

// runLoad runs the load generator pinned to loadCPU and returns its JSON,
// its stderr and the CPU it used (with its children, e.g. perf).
func (b *bench) runLoad(ctx context.Context, args []string, timeout time.Duration) ([]byte, string, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	full := append([]string{"taskset", "-c", b.loadCPU, b.load}, args...)
	cmd := exec.CommandContext(ctx, full[0], full[1:]...)
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("load generator timed out after %v: %w", timeout, ctx.Err())
	}
	var cpu time.Duration
	if st := cmd.ProcessState; st != nil {
		cpu = st.UserTime() + st.SystemTime()
	}
	return out.Bytes(), errb.String(), cpu, err
}

// cpuOf is a process's user+system CPU time from /proc (USER_HZ 100).
func cpuOf(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseUint(f[11], 10, 64)
	s, _ := strconv.ParseUint(f[12], 10, 64)
	return time.Duration(u+s) * 10 * time.Millisecond
}

// machineBusy is the machine's non-idle CPU time from /proc/stat.
func machineBusy() (time.Duration, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 8 || f[0] != "cpu" {
		return 0, errors.New("unexpected /proc/stat")
	}
	var busy uint64
	for i, v := range f[1:min(len(f), 9)] {
		n, _ := strconv.ParseUint(v, 10, 64)
		switch i {
		case 0, 1, 2, 7: // user nice system steal: tasks, as the load generator counts
			busy += n
		}
	}
	return time.Duration(busy) * 10 * time.Millisecond, nil
}

// busyCores measures the machine's CPU use over d, in cores.
func busyCores(d time.Duration) float64 {
	a, err := machineBusy()
	if err != nil {
		return 0
	}
	t0 := time.Now()
	time.Sleep(d)
	b, _ := machineBusy()
	return (b - a).Seconds() / time.Since(t0).Seconds()
}

// waitQuiet waits, at most max, until the machine's other work is below
// limit cores; it returns the last reading and how long it waited.
func waitQuiet(ctx context.Context, limit float64, maxWait time.Duration) (float64, time.Duration) {
	t0 := time.Now()
	for {
		c := busyCores(500 * time.Millisecond)
		if c <= limit || time.Since(t0) >= maxWait || ctx.Err() != nil {
			return c, time.Since(t0)
		}
	}
}

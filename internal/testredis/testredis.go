// Package testredis owns one test fixture: a private redis-server on a free loopback
// port, for tests that must see Redis die and come back (or must not share the
// machine's Redis). It keeps nothing on disk, so a restart is an empty Redis, as a
// restarted Redis without persistence is.
package testredis

import (
	"net"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/redis/rueidis"
)

// Server is one redis-server process; Stop and Start may be called again and again.
type Server struct {
	t    testing.TB
	port int
	cmd  *exec.Cmd
}

// New starts a redis-server for the test, stopped when the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatal("redis-server is not installed (make test installs it: apt-get install redis-server)")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &Server{t: t, port: l.Addr().(*net.TCPAddr).Port}
	l.Close()
	r.Start()
	t.Cleanup(r.Stop)
	return r
}

// Addr is host:port.
func (r *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(r.port) }

// Start runs the server (again, empty) on its port and waits until it answers.
func (r *Server) Start() {
	r.t.Helper()
	r.cmd = exec.Command("redis-server", "--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", r.t.TempDir())
	if err := r.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", r.Addr(), 200*time.Millisecond); err == nil {
			c.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.t.Fatalf("redis-server on %s did not answer", r.Addr())
}

// Stop ends the server and waits for it; harmless when stopped.
func (r *Server) Stop() {
	if r.cmd == nil || r.cmd.Process == nil {
		return
	}
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	_ = r.cmd.Wait()
	r.cmd = nil
}

// Client is a new client of the server, closed when the test ends.
func (r *Server) Client() rueidis.Client {
	r.t.Helper()
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{r.Addr()}, DisableCache: true})
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(c.Close)
	return c
}

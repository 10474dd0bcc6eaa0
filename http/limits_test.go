package http

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/presenced/presenced/internal/clientip"
)

// serve runs the env's app on a real loopback listener (concurrency through real
// connections, not app.Test's one-off pipes) and returns its base URL.
func (e *env) serve() string {
	e.t.Helper()
	ln, err := netListen()
	if err != nil {
		e.t.Fatal(err)
	}
	go func() { _ = e.app.Listener(ln) }()
	e.t.Cleanup(func() { _ = e.app.Shutdown() })
	return "http://" + ln.Addr().String()
}

func post(t testing.TB, url, body string, hdr ...string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0, ""
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// Attempts sent in parallel are counted when they start: of 150 wrong passwords sent at
// once for one (IP, username), only the limit's worth are checked (issue: trust).
func TestParallelWrongPasswordsAreThrottledAfterTheLimit(t *testing.T) {
	e := newEnv(t, nil)
	e.register("alice")
	url := e.serve() + "/api-token-auth/"
	const n = 150
	var mu sync.Mutex
	counts := map[int]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			st, _ := post(t, url, `{"username":"alice","password":"wrong password"}`)
			mu.Lock()
			counts[st]++
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	if counts[400] != 5 || counts[429] != n-5 {
		t.Fatalf("answers %v: want exactly 5 checked (400) and %d throttled (429)", counts, n-5)
	}
	// A throttled pair is answered 429 without checking the password, right or wrong.
	if st, body := post(t, url, `{"username":"alice","password":"correct horse"}`); st != 429 {
		t.Fatalf("the right password while throttled: %d %s", st, body)
	}
}

func TestSuccessfulLoginGivesItsCountBack(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Throttle = ThrottleConfig{PerUsername: 3, PerIP: 4} })
	e.register("alice")
	e.register("bob")
	// Far more successes than either limit: never throttled.
	for i := range 20 {
		if r := e.do("POST", "/api-token-auth/", "application/json", `{"username":"bob","password":"correct horse"}`); r.status != 200 {
			t.Fatalf("success %d: %d", i, r.status)
		}
	}
	// The IP still has its whole budget of failures.
	for i := range 3 {
		if r := e.do("POST", "/api-token-auth/", "application/json", `{"username":"alice","password":"nope nope"}`); r.status != 400 {
			t.Fatalf("failure %d: %d", i, r.status)
		}
	}
	if r := e.do("POST", "/api-token-auth/", "application/json", `{"username":"alice","password":"nope nope"}`); r.status != 429 {
		t.Fatalf("4th failure for the pair: %d, want 429", r.status)
	}
	if r := e.do("POST", "/api-token-auth/", "application/json", `{"username":"carol","password":"nope nope"}`); r.status != 400 {
		t.Fatalf("4th failure for the IP: %d, want 400", r.status)
	}
	if r := e.do("POST", "/api-token-auth/", "application/json", `{"username":"dave","password":"nope nope"}`); r.status != 429 {
		t.Fatalf("5th failure for the IP: %d, want 429", r.status)
	}
}

func TestRegistrationThrottle(t *testing.T) {
	clock := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	e := newEnv(t, func(c *Config) { c.Now = now; c.Throttle.RegisterPerIP = 3 })
	// Invalid forms are given back: fixing typos is not throttled.
	for range 10 {
		if r := e.do("POST", "/api/register/", "application/json", `{"username":"x y"}`); r.status != 400 {
			t.Fatalf("invalid form: %d %s", r.status, r.body)
		}
	}
	for i := range 3 {
		e.register(fmt.Sprintf("user%d", i))
	}
	r := e.do("POST", "/api/register/", "application/json", `{"username":"user9","email":"u@example.org","password":"correct horse"}`)
	if r.status != 429 || r.header.Get("Retry-After") != "60" || !strings.Contains(string(r.body), "Request was throttled") {
		t.Fatalf("4th registration in a minute: %d %v %s", r.status, r.header, r.body)
	}
	// Nothing was stored for the refused one.
	if r := e.do("POST", "/api-token-auth/", "application/json", `{"username":"user9","password":"correct horse"}`); r.status != 400 {
		t.Fatalf("a throttled registration created a user: %d", r.status)
	}
	mu.Lock()
	clock = clock.Add(61 * time.Second)
	mu.Unlock()
	e.register("user9")
}

// Behind a trusted proxy each client named by X-Forwarded-For has its own budget; from
// anyone else the header changes nothing (it cannot be used to dodge the throttle).
func TestThrottleKeysOnTheClientBehindTrustedProxies(t *testing.T) {
	for _, tc := range []struct {
		name    string
		trusted string
		// whether a 6th failure from a second forwarded client is throttled
		secondThrottled bool
	}{
		{"proxy trusted", "127.0.0.1/32", false},
		{"no proxy trusted", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := clientip.Parse(tc.trusted)
			if err != nil {
				t.Fatal(err)
			}
			e := newEnv(t, func(c *Config) { c.ClientIP = r.Of })
			e.register("alice")
			url := e.serve() + "/api-token-auth/"
			wrong := `{"username":"alice","password":"nope nope"}`
			for i := range 5 {
				if st, _ := post(t, url, wrong, "X-Forwarded-For", "203.0.113.1"); st != 400 {
					t.Fatalf("failure %d: %d", i, st)
				}
			}
			if st, _ := post(t, url, wrong, "X-Forwarded-For", "203.0.113.1"); st != 429 {
				t.Fatalf("6th failure of the first client: %d, want 429", st)
			}
			st, _ := post(t, url, wrong, "X-Forwarded-For", "8.8.8.8, 203.0.113.2")
			if got := st == 429; got != tc.secondThrottled {
				t.Fatalf("second client: %d (throttled %v, want %v)", st, got, tc.secondThrottled)
			}
		})
	}
}

func TestPostOnlyPathsAnswer405(t *testing.T) {
	e := newEnv(t, nil)
	for _, p := range []string{"/api/register/", "/api/logout/", "/api-token-auth/"} {
		for _, m := range []string{fiber.MethodGet, fiber.MethodHead} {
			r := e.do(m, p, "", "")
			if r.status != 405 || r.header.Get("Allow") == "" {
				t.Errorf("%s %s: %d %v", m, p, r.status, r.header)
			}
			if m == fiber.MethodGet && string(r.body) != `{"detail":"Method \"GET\" not allowed."}` {
				t.Errorf("%s %s body %s", m, p, r.body)
			}
		}
	}
}

func TestMetricsElsewhere(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MetricsElsewhere = true })
	if r := e.do("GET", "/metrics", "", ""); r.status != 404 || strings.Contains(string(r.body), "presenced_") {
		t.Fatalf("/metrics on the main app with -metrics-addr: %d %.80s", r.status, r.body)
	}
	e = newEnv(t, nil)
	if r := e.do("GET", "/metrics", "", ""); r.status != 200 || !strings.Contains(string(r.body), "presenced_logins_total") {
		t.Fatalf("/metrics on the main app: %d %.80s", r.status, r.body)
	}
}

package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestIdentityUnderConcurrency checks *whose* answer every authenticated request and
// every socket bind gets, the way a crowd of clients and an attacker would drive the
// real binary: many users with tokens of different lengths, keep-alive and fresh
// connections, both header schemes, forged tokens of exactly a real token's length,
// and logouts racing with requests (issue: trust).
func TestIdentityUnderConcurrency(t *testing.T) {
	const ping = 300 * time.Millisecond
	s := startServer(t, "-ping-interval", ping.String(), "-offline-grace", "300ms")

	// 110 users: ids (the JWT subject) of one, two and three digits, so tokens differ
	// in length; each has the token of its registration and of one login.
	type token struct {
		user  int64
		value string
	}
	const nUsers = 110
	users := make([]account, nUsers)
	tokens := make([]token, 0, 2*nUsers)
	var mu sync.Mutex
	parallel(t, nUsers, 8, func(i int) error {
		a := s.register(fmt.Sprintf("id%0*d", 1+i%7, i)) // names of different lengths too
		var out struct{ Token string }
		if st := s.api("POST", "/api-token-auth/", "", map[string]string{"username": a.Username, "password": "correct horse battery"}, &out); st != 200 {
			return fmt.Errorf("login %s: %d", a.Username, st)
		}
		mu.Lock()
		users[i] = a
		tokens = append(tokens, token{a.ID, a.Token}, token{a.ID, out.Token})
		mu.Unlock()
		return nil
	})
	lengths := map[int]bool{}
	for _, tk := range tokens {
		lengths[len(tk.value)] = true
	}
	if len(lengths) < 3 {
		t.Fatalf("want tokens of at least 3 lengths, got %v", lengths)
	}

	keepAlive := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 32}}
	fresh := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	me := func(c *http.Client, scheme, tok string) (int, int64, error) {
		req, _ := http.NewRequest("GET", s.URL+"/api/me/", nil)
		req.Header.Set("Authorization", scheme+" "+tok)
		res, err := c.Do(req)
		if err != nil {
			return 0, 0, err
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		var u struct{ ID int64 }
		if res.StatusCode == 200 {
			if err := json.Unmarshal(b, &u); err != nil {
				return 0, 0, fmt.Errorf("decode %q: %v", b, err)
			}
		}
		return res.StatusCode, u.ID, nil
	}

	// revoked[token] is set once its logout answered 204; logging[token] while the
	// logout is in flight (either answer is then right, but only as its own user). A
	// live token is one neither revoked before its request nor being or having been
	// logged out by the time the answer came.
	var revoked, logging sync.Map
	var stop atomic.Bool
	var checked, forgedRefused atomic.Int64
	var failures []string
	var fmu sync.Mutex
	fail := func(format string, a ...any) {
		fmu.Lock()
		if len(failures) < 20 {
			failures = append(failures, fmt.Sprintf(format, a...))
		}
		fmu.Unlock()
	}
	worker := func(seed uint64, requests int) {
		r := rand.New(rand.NewPCG(seed, 7))
		for i := 0; i < requests && !stop.Load(); i++ {
			c := keepAlive
			if r.IntN(4) == 0 {
				c = fresh
			}
			scheme := "Token"
			if r.IntN(2) == 0 {
				scheme = "Bearer"
			}
			tk := tokens[r.IntN(len(tokens))]
			if r.IntN(8) == 0 {
				f := forge(tk.value, r)
				st, id, err := me(c, scheme, f)
				switch {
				case err != nil:
					fail("forged: %v", err)
				case st != 401:
					fail("a forged token of %d bytes answered %d as user %d", len(f), st, id)
				default:
					forgedRefused.Add(1)
				}
				continue
			}
			_, wasRevoked := revoked.Load(tk.value)
			st, id, err := me(c, scheme, tk.value)
			_, inFlight := logging.Load(tk.value)
			_, revokedSince := revoked.Load(tk.value)
			checked.Add(1)
			switch {
			case err != nil:
				fail("user %d: %v", tk.user, err)
			case st == 200 && id != tk.user:
				fail("user %d's token answered as user %d", tk.user, id)
			case wasRevoked && st != 401:
				fail("user %d's revoked token answered %d", tk.user, st)
			case !wasRevoked && !inFlight && !revokedSince && st != 200:
				fail("user %d's live token answered %d", tk.user, st)
			}
		}
	}

	// Phase 1: 16 clients, 4,000 requests, no logouts.
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Go(func() { worker(uint64(w), 250) })
	}
	wg.Wait()

	// Phase 2: the same, while the login token of every odd user is logged out, and
	// forged same-length strings try to log the others out.
	stop.Store(false)
	for w := range 16 {
		wg.Go(func() { worker(uint64(100+w), 250) })
	}
	r := rand.New(rand.NewPCG(99, 1))
	for i := 1; i < len(tokens); i += 2 {
		tk := tokens[i]
		if tk.user%2 == 0 {
			if st := s.api("POST", "/api/logout/", forge(tk.value, r), nil, nil); st != 401 {
				fail("a forged logout of user %d's token answered %d", tk.user, st)
			}
			continue
		}
		logging.Store(tk.value, true)
		if st := s.api("POST", "/api/logout/", tk.value, nil, nil); st != 204 {
			fail("logout of user %d: %d", tk.user, st)
		}
		revoked.Store(tk.value, true)
		logging.Delete(tk.value)
	}
	wg.Wait()
	// Afterwards, every token once more, sequentially: revoked ones refused, live ones
	// (the forged logouts included) as their own user.
	for _, tk := range tokens {
		_, wasRevoked := revoked.Load(tk.value)
		st, id, err := me(keepAlive, "Token", tk.value)
		switch {
		case err != nil:
			fail("final: %v", err)
		case wasRevoked && st != 401:
			fail("final: user %d's revoked token answered %d", tk.user, st)
		case !wasRevoked && (st != 200 || id != tk.user):
			fail("final: user %d's live token answered %d as user %d", tk.user, st, id)
		}
	}
	if len(failures) > 0 {
		t.Fatalf("%d REST answers checked, %d forged refused; wrong answers:\n  %s",
			checked.Load(), forgedRefused.Load(), strings.Join(failures, "\n  "))
	}
	t.Logf("REST: %d answers checked against their token's user, %d forged tokens refused", checked.Load(), forgedRefused.Load())

	// Sockets: users 0..39 each bind two sockets with their live tokens (one in the
	// CONNECT auth payload, one by ng-action login; websocket and polling mixed), and
	// forged tokens are offered both ways. Then some tokens are revoked: exactly the
	// sockets those tokens bound must be logged out.
	type sock struct {
		Name      string `json:"name"`
		User      int64  `json:"user"`
		Token     string `json:"token"`
		Mode      string `json:"mode"`
		Transport string `json:"transport"`
		Forged    bool   `json:"forged"`
	}
	var socks []sock
	live := map[int64][]string{}
	for _, tk := range tokens {
		if _, gone := revoked.Load(tk.value); !gone {
			live[tk.user] = append(live[tk.user], tk.value)
		}
	}
	expectOnline := []int64{}
	for i, u := range users[:40] {
		for j, tv := range live[u.ID] {
			mode := []string{"auth", "action"}[(i+j)%2]
			tr := []string{"websocket", "polling"}[i%2]
			socks = append(socks, sock{Name: fmt.Sprintf("u%d-%d", u.ID, j), User: u.ID, Token: tv, Mode: mode, Transport: tr})
		}
		expectOnline = append(expectOnline, u.ID)
		if i%5 == 0 {
			socks = append(socks, sock{Name: fmt.Sprintf("forged-%d", u.ID), User: u.ID, Token: forge(live[u.ID][0], r),
				Mode: []string{"auth", "action"}[i%2], Transport: "websocket", Forged: true})
		}
	}
	slices.Sort(expectOnline)
	// Revoke the first live token of every third user among those with sockets.
	var toRevoke []string
	for _, u := range users[:40] {
		if u.ID%3 == 0 {
			toRevoke = append(toRevoke, live[u.ID][0])
		}
	}
	b, _ := json.Marshal(socks)
	rv, _ := json.Marshal(toRevoke)
	out := runScript(t, 90*time.Second, "identity.js", func(what string) string {
		switch what {
		case "bound":
			// Credits of the HTTP logins ran out long ago: online is exactly the users
			// whose sockets are bound.
			var online struct {
				Users []struct{ ID int64 } `json:"users"`
			}
			var got []int64
			deadline := time.Now().Add(5 * time.Second)
			for {
				s.api("GET", "/api/users/online/", live[users[0].ID][0], nil, &online)
				got = got[:0]
				for _, u := range online.Users {
					got = append(got, u.ID)
				}
				slices.Sort(got)
				if slices.Equal(got, expectOnline) || time.Now().After(deadline) {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			if !slices.Equal(got, expectOnline) {
				return fmt.Sprintf("online %v, want %v", got, expectOnline)
			}
			return "ok"
		case "revoke":
			for _, tv := range toRevoke {
				if st := s.api("POST", "/api/logout/", tv, nil, nil); st != 204 {
					return fmt.Sprintf("logout: %d", st)
				}
			}
			return "ok"
		}
		return "unknown " + what
	}, "URL="+s.URL, "SOCKETS="+string(b), "REVOKED="+string(rv))
	t.Log(out)
}

// forge returns a string of exactly tok's length that is not tok: the signature's
// characters replaced by others of the same alphabet.
func forge(tok string, r *rand.Rand) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	b := []byte(tok)
	dot := strings.LastIndexByte(tok, '.') + 1
	for i := dot; i < len(b); i++ {
		c := alphabet[r.IntN(len(alphabet))]
		for c == b[i] {
			c = alphabet[r.IntN(len(alphabet))]
		}
		b[i] = c
	}
	return string(b)
}

// parallel runs fn(0..n-1) on `workers` goroutines and fails the test with the first error.
func parallel(t *testing.T, n, workers int, fn func(i int) error) {
	t.Helper()
	var next atomic.Int64
	var first atomic.Pointer[error]
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || first.Load() != nil {
					return
				}
				if err := fn(i); err != nil {
					first.CompareAndSwap(nil, &err)
				}
			}
		})
	}
	wg.Wait()
	if e := first.Load(); e != nil {
		t.Fatal(*e)
	}
}

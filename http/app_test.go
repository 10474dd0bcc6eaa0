package http

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/golang-jwt/jwt/v5"
	"github.com/presenced/presenced/actors"
	"github.com/presenced/presenced/auth"
	"github.com/presenced/presenced/persistence"
)

var testSecret = []byte("test-secret-test-secret-test-secret!")

// fakePresence records what the API tells presence (the presence system is tested in
// actors and end to end; here only the HTTP layer is under test).
type fakePresence struct {
	mu      sync.Mutex
	snap    *actors.Snapshot
	logins  []int64
	revoked []string
	rooms   map[string]actors.RoomPresence // nil: every room is unavailable
	asked   []string
}

func (p *fakePresence) RoomPresence(_ context.Context, room string) (actors.RoomPresence, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.asked = append(p.asked, room)
	if p.rooms == nil {
		return actors.RoomPresence{}, fmt.Errorf("room %s: timeout", room)
	}
	return p.rooms[room], nil
}

func (p *fakePresence) Online() *actors.Snapshot {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.snap
}

func (p *fakePresence) LoggedIn(u actors.User, jti string, _ time.Time) {
	p.mu.Lock()
	p.logins = append(p.logins, u.ID)
	p.mu.Unlock()
}

func (p *fakePresence) TokenRevoked(_ int64, jti string, _ time.Time) {
	p.mu.Lock()
	p.revoked = append(p.revoked, jti)
	p.mu.Unlock()
}

type env struct {
	t        testing.TB
	app      *fiber.App
	store    persistence.Store
	tokens   *auth.Tokens
	presence *fakePresence
	dir      string
	now      time.Time
}

type revocations struct{ s persistence.Store }

func (r revocations) RevokeToken(ctx context.Context, jti string, exp time.Time) error {
	return r.s.RevokeToken(ctx, persistence.RevokedToken{JTI: jti, ExpiresAt: exp})
}

func (r revocations) RevokedTokens(ctx context.Context, now time.Time) (map[string]time.Time, error) {
	l, err := r.s.RevokedTokens(ctx, now)
	m := map[string]time.Time{}
	for _, t := range l {
		m[t.JTI] = t.ExpiresAt
	}
	return m, err
}

func newEnv(t testing.TB, tweak func(*Config)) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), presence: &fakePresence{snap: actors.NewSnapshot(0, nil)}, now: time.Now()}
	e.open(tweak)
	return e
}

// open (re)starts the app on the env's database, as a process restart would.
func (e *env) open(tweak func(*Config)) {
	t := e.t
	store, err := persistence.Open(context.Background(), "sqlite://"+e.dir+"/p.db", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	tokens, err := auth.NewTokens(context.Background(), auth.TokenConfig{Secret: testSecret, TTL: time.Hour}, revocations{store})
	if err != nil {
		t.Fatal(err)
	}
	hasher, err := auth.NewHasher(4)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Store: store, Tokens: tokens, Hasher: hasher, Presence: e.presence, PageSize: 2,
		SPA: fstest.MapFS{
			"index.html":          {Data: []byte("<html>app</html>")},
			"main-ABCDEFGH.js":    {Data: []byte("console.log(1)")},
			"main-ABCDEFGH.js.gz": {Data: []byte("gzipped")},
			"favicon.ico":         {Data: []byte("ico")},
		},
		Mount: func(app *fiber.App) {
			app.Get("/test/panic", func(*fiber.Ctx) error { panic("test panic") })
		},
	}
	if tweak != nil {
		tweak(&cfg)
	}
	app, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.app, e.store, e.tokens = app, store, tokens
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", r.body, err)
	}
	return m
}

func (e *env) do(method, path, ctype, body string, hdr ...string) resp {
	e.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := e.app.Test(req, 10_000)
	if err != nil {
		e.t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode == 500 && path != "/test/panic" {
		e.t.Fatalf("%s %s → %d %s", method, path, res.StatusCode, b)
	}
	return resp{res.StatusCode, res.Header, b}
}

func (e *env) register(name string) (string, map[string]any) {
	e.t.Helper()
	r := e.do("POST", "/api/register/", "application/json",
		fmt.Sprintf(`{"username":%q,"email":"%s@example.org","password":"correct horse"}`, name, "x"))
	if r.status != 201 {
		e.t.Fatalf("register %s: %d %s", name, r.status, r.body)
	}
	m := r.json(e.t)
	return m["token"].(string), m["user"].(map[string]any)
}

func TestRegister(t *testing.T) {
	e := newEnv(t, nil)
	tok, user := e.register("alice")
	if tok == "" || user["username"] != "alice" || user["is_online"] != true || user["id"] == nil || user["date_joined"] == nil {
		t.Fatalf("register response: %v", user)
	}
	if _, ok := user["last_seen"]; !ok {
		t.Fatal("last_seen missing (must be null)")
	}
	if len(e.presence.logins) != 1 {
		t.Fatal("registration did not count as a login")
	}

	tests := []struct {
		name, ctype, body string
		status            int
		want              string // a substring of the body
	}{
		{"duplicate in another case", "application/json", `{"username":"ALICE","email":"a@x.org","password":"correct horse"}`, 400, `{"username":["A user with that username already exists."]}`},
		{"missing everything", "application/json", `{}`, 400, `"This field is required."`},
		{"blank username", "application/json", `{"username":"  ","email":"a@x.org","password":"correct horse"}`, 400, `"username":["This field may not be blank."]`},
		{"null username", "application/json", `{"username":null,"email":"a@x.org","password":"correct horse"}`, 400, `"username":["This field may not be null."]`},
		{"bool username", "application/json", `{"username":true,"email":"a@x.org","password":"correct horse"}`, 400, `"username":["Not a valid string."]`},
		{"object password", "application/json", `{"username":"bob","email":"a@x.org","password":{"a":1}}`, 400, `"password":["Not a valid string."]`},
		{"list password", "application/json", `{"username":"bob","email":"a@x.org","password":["x"]}`, 400, `"password":["Not a valid string."]`},
		{"sql in username", "application/json", `{"username":"'; DROP TABLE users; --","email":"a@x.org","password":"correct horse"}`, 400, `Enter a valid username.`},
		{"space in username", "application/json", `{"username":"a b","email":"a@x.org","password":"correct horse"}`, 400, `Enter a valid username.`},
		{"long username", "application/json", `{"username":"` + strings.Repeat("a", 151) + `","email":"a@x.org","password":"correct horse"}`, 400, `no more than 150 characters`},
		{"bad email", "application/json", `{"username":"bob","email":"not-an-email","password":"correct horse"}`, 400, `"email":["Enter a valid email address."]`},
		{"email with name", "application/json", `{"username":"bob","email":"Bob <b@x.org>","password":"correct horse"}`, 400, `"email":["Enter a valid email address."]`},
		{"short password", "application/json", `{"username":"bob","email":"b@x.org","password":"short"}`, 400, `too short`},
		{"numeric password", "application/json", `{"username":"bob","email":"b@x.org","password":"1234567890"}`, 400, `entirely numeric`},
		{"password like username", "application/json", `{"username":"bobby","email":"b@x.org","password":"bobby1234"}`, 400, `too similar`},
		{"long password", "application/json", `{"username":"bob","email":"b@x.org","password":"` + strings.Repeat("p", 73) + `"}`, 400, `72 bytes`},
		{"malformed json", "application/json", `{"username":`, 400, `"detail":"JSON parse error - `},
		{"json list", "application/json", `[1,2]`, 400, `Expected a dictionary, but got list.`},
		{"json string", "application/json", `"x"`, 400, `Expected a dictionary, but got str.`},
		{"xml", "application/xml", `<x/>`, 415, `Unsupported media type`},
		{"unicode ok", "application/json", `{"username":"zoë.例","email":"z@x.org","password":"correct horse"}`, 201, `"username":"zoë.例"`},
		{"number username is text", "application/json", `{"username":12345,"email":"n@x.org","password":"correct horse"}`, 201, `"username":"12345"`},
		{"form body", "application/x-www-form-urlencoded", url.Values{"username": {"carol"}, "email": {"c@x.org"}, "password": {"correct horse"}}.Encode(), 201, `"username":"carol"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("POST", "/api/register/", tc.ctype, tc.body)
			if r.status != tc.status || !strings.Contains(string(r.body), tc.want) {
				t.Fatalf("got %d %s, want %d containing %s", r.status, r.body, tc.status, tc.want)
			}
		})
	}
	// Nothing stored was lost or corrupted by all that.
	u, err := e.store.UserByUsername(context.Background(), "alice")
	if err != nil || u.Username != "alice" {
		t.Fatalf("alice after bad input: %v %v", u, err)
	}
	_, total, _ := e.store.ListUsers(context.Background(), 0, 100)
	if total != 4 {
		t.Fatalf("%d users stored, want 4", total)
	}
}

func TestLogin(t *testing.T) {
	e := newEnv(t, nil)
	e.register("alice")
	for _, tc := range []struct{ name, ctype, body string }{
		{"json", "application/json", `{"username":"alice","password":"correct horse"}`},
		{"form", "application/x-www-form-urlencoded", "username=alice&password=correct+horse"},
		{"other case", "application/json", `{"username":"Alice","password":"correct horse"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("POST", "/api-token-auth/", tc.ctype, tc.body, "User-Agent", "test-agent/1.0")
			if r.status != 200 {
				t.Fatalf("%d %s", r.status, r.body)
			}
			m := r.json(t)
			if m["agent"] != "test-agent/1.0" || m["token"] == "" || m["user"].(map[string]any)["username"] != "alice" {
				t.Fatalf("login body %v", m)
			}
		})
	}
	bad := `{"non_field_errors":["Unable to log in with provided credentials."]}`
	for _, body := range []string{`{"username":"alice","password":"wrong horse"}`, `{"username":"nobody","password":"correct horse"}`} {
		if r := e.do("POST", "/api-token-auth/", "application/json", body); r.status != 400 || string(r.body) != bad {
			t.Fatalf("bad credentials: %d %s", r.status, r.body)
		}
	}
	if r := e.do("POST", "/api-token-auth/", "application/json", `{"username":"alice"}`); r.status != 400 || !strings.Contains(string(r.body), `"password":["This field is required."]`) {
		t.Fatalf("missing password: %d %s", r.status, r.body)
	}
}

func TestLoginThrottle(t *testing.T) {
	clock := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	e := newEnv(t, func(c *Config) { c.Now = now })
	e.register("alice")
	e.register("bob")
	// Successful logins are never throttled.
	for i := 0; i < 30; i++ {
		if r := e.do("POST", "/api-token-auth/", "application/json", `{"username":"bob","password":"correct horse"}`); r.status != 200 {
			t.Fatalf("success %d: %d", i, r.status)
		}
	}
	for i := 0; i < 5; i++ {
		if r := e.do("POST", "/api-token-auth/", "application/json", `{"username":"alice","password":"nope nope"}`); r.status != 400 {
			t.Fatalf("failure %d: %d", i, r.status)
		}
	}
	r := e.do("POST", "/api-token-auth/", "application/json", `{"username":"alice","password":"correct horse"}`)
	if r.status != 429 || r.header.Get("Retry-After") != "60" || !strings.Contains(string(r.body), `"detail":"Request was throttled. Expected available in 60 seconds."`) {
		t.Fatalf("6th attempt: %d %v %s", r.status, r.header.Get("Retry-After"), r.body)
	}
	// Another username from the same IP is not affected by alice's limit.
	if r := e.do("POST", "/api-token-auth/", "application/json", `{"username":"bob","password":"correct horse"}`); r.status != 200 {
		t.Fatalf("bob throttled by alice's failures: %d", r.status)
	}
	mu.Lock()
	clock = clock.Add(61 * time.Second)
	mu.Unlock()
	if r := e.do("POST", "/api-token-auth/", "application/json", `{"username":"alice","password":"correct horse"}`); r.status != 200 {
		t.Fatalf("after the window: %d %s", r.status, r.body)
	}
	// 50 failures from one IP over many usernames throttle that IP.
	for i := 0; i < 50; i++ {
		e.do("POST", "/api-token-auth/", "application/json", fmt.Sprintf(`{"username":"u%d","password":"nope nope"}`, i))
	}
	if r := e.do("POST", "/api-token-auth/", "application/json", `{"username":"fresh","password":"nope nope"}`); r.status != 429 {
		t.Fatalf("IP limit: %d", r.status)
	}
}

func TestTokenAuthentication(t *testing.T) {
	e := newEnv(t, nil)
	tok, _ := e.register("alice")
	now := time.Now()
	claims := func(f func(*jwt.RegisteredClaims)) jwt.RegisteredClaims {
		c := jwt.RegisteredClaims{Issuer: auth.DefaultIssuer, Subject: "1", ID: "x",
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour))}
		if f != nil {
			f(&c)
		}
		return c
	}
	sign := func(m jwt.SigningMethod, key any, c jwt.RegisteredClaims) string {
		s, err := jwt.NewWithClaims(m, c).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	tests := []struct {
		name, header string
		status       int
		detail       string
	}{
		{"DRF token", "Token " + tok, 200, ""},
		{"bearer", "Bearer " + tok, 200, ""},
		{"lowercase scheme", "token " + tok, 200, ""},
		{"no header", "", 401, msgNotAuthenticated},
		{"basic", "Basic YTpi", 401, "Invalid token header."},
		{"no token", "Token ", 401, "Invalid token header."},
		{"garbage", "Token abc", 401, msgInvalidToken},
		{"forged", "Token " + sign(jwt.SigningMethodHS256, []byte(strings.Repeat("k", 32)), claims(nil)), 401, msgInvalidToken},
		{"expired", "Token " + sign(jwt.SigningMethodHS256, testSecret, claims(func(c *jwt.RegisteredClaims) { c.ExpiresAt = jwt.NewNumericDate(now.Add(-time.Minute)) })), 401, msgInvalidToken},
		{"alg none", "Token " + sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims(nil)), 401, msgInvalidToken},
		{"HS512", "Token " + sign(jwt.SigningMethodHS512, testSecret, claims(nil)), 401, msgInvalidToken},
		{"deleted user", "Token " + sign(jwt.SigningMethodHS256, testSecret, claims(func(c *jwt.RegisteredClaims) { c.Subject = "999" })), 401, "User inactive or deleted."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var hdr []string
			if tc.header != "" {
				hdr = []string{"Authorization", tc.header}
			}
			r := e.do("GET", "/api/me/", "", "", hdr...)
			if r.status != tc.status {
				t.Fatalf("status %d %s", r.status, r.body)
			}
			if tc.status == 401 {
				if d := r.json(t)["detail"]; d != tc.detail {
					t.Fatalf("detail %q, want %q", d, tc.detail)
				}
				if r.header.Get("WWW-Authenticate") != "Token" {
					t.Fatal("no WWW-Authenticate header")
				}
			}
		})
	}
}

func TestLogoutRevokesAcrossRestart(t *testing.T) {
	e := newEnv(t, nil)
	tok, _ := e.register("alice")
	if r := e.do("POST", "/api/logout/", "", "", "Authorization", "Token "+tok); r.status != 204 {
		t.Fatalf("logout: %d %s", r.status, r.body)
	}
	if len(e.presence.revoked) != 1 {
		t.Fatal("presence not told of the logout")
	}
	if r := e.do("GET", "/api/me/", "", "", "Authorization", "Token "+tok); r.status != 401 {
		t.Fatalf("token after logout: %d", r.status)
	}
	e.open(nil) // restart on the same database
	if r := e.do("GET", "/api/me/", "", "", "Authorization", "Token "+tok); r.status != 401 {
		t.Fatalf("token after logout and restart: %d", r.status)
	}
	if r := e.do("POST", "/api/logout/", "", ""); r.status != 401 {
		t.Fatalf("logout without token: %d", r.status)
	}
}

func TestUsersAndOnline(t *testing.T) {
	e := newEnv(t, nil)
	tok, alice := e.register("alice")
	e.register("bob")
	e.register("carol")
	auth := []string{"Authorization", "Token " + tok}
	r := e.do("GET", "/api/users/", "", "", auth...)
	m := r.json(t)
	if r.status != 200 || m["count"].(float64) != 3 || m["previous"] != nil || !strings.HasSuffix(m["next"].(string), "/api/users/?page=2") || len(m["results"].([]any)) != 2 {
		t.Fatalf("page 1: %s", r.body)
	}
	m = e.do("GET", "/api/users/?page=2", "", "", auth...).json(t)
	if m["next"] != nil || !strings.HasSuffix(m["previous"].(string), "/api/users/") || len(m["results"].([]any)) != 1 {
		t.Fatalf("page 2: %v", m)
	}
	for _, p := range []string{"0", "-1", "abc", "3", "99999999999999999999"} {
		if r := e.do("GET", "/api/users/?page="+p, "", "", auth...); r.status != 404 || r.json(t)["detail"] != "Invalid page." {
			t.Fatalf("page %s: %d %s", p, r.status, r.body)
		}
	}
	if r := e.do("GET", "/api/users/online/", "", "", auth...); string(r.body) != `{"count":0,"users":[],"version":0}` {
		t.Fatalf("online (empty): %s", r.body)
	}
	id := int64(alice["id"].(float64))
	e.presence.mu.Lock()
	e.presence.snap = actors.NewSnapshot(7, []actors.User{{ID: id, Username: "alice"}})
	e.presence.mu.Unlock()
	m = e.do("GET", "/api/users/online/", "", "", auth...).json(t)
	if m["version"].(float64) != 7 || m["count"].(float64) != 1 || m["users"].([]any)[0].(map[string]any)["is_online"] != true {
		t.Fatalf("online: %v", m)
	}
	if me := e.do("GET", "/api/me/", "", "", auth...).json(t); me["is_online"] != true {
		t.Fatalf("me while online: %v", me)
	}
}

func TestProbesAndErrors(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.Ready = []Check{{Name: "redis", Fn: func(context.Context) error { return fmt.Errorf("connection refused") }}}
	})
	if r := e.do("GET", "/healthz", "", ""); r.status != 200 {
		t.Fatalf("healthz %d", r.status)
	}
	r := e.do("GET", "/readyz", "", "")
	if r.status != 503 || r.json(t)["detail"] != "redis: connection refused" {
		t.Fatalf("readyz %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/api/nothing/", "", ""); r.status != 404 || string(r.body) != `{"detail":"Not found."}` {
		t.Fatalf("unknown API path: %d %s", r.status, r.body)
	}
	if r := e.do("DELETE", "/api/register/", "", ""); r.status >= 500 {
		t.Fatalf("wrong method: %d", r.status)
	}
	r = e.do("GET", "/test/panic", "", "")
	if r.status != 500 || string(r.body) != `{"detail":"A server error occurred."}` {
		t.Fatalf("panic: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/healthz", "", ""); r.status != 200 {
		t.Fatal("server unhealthy after a panic")
	}
	if r := e.do("GET", "/metrics", "", ""); r.status != 200 || !strings.Contains(string(r.body), "presenced_logins_total") {
		t.Fatalf("metrics: %d", r.status)
	}
}

func TestSPA(t *testing.T) {
	e := newEnv(t, nil)
	for _, p := range []string{"/", "/login", "/online/deep/route"} {
		r := e.do("GET", p, "", "")
		if r.status != 200 || string(r.body) != "<html>app</html>" || r.header.Get("Cache-Control") != "no-cache" {
			t.Fatalf("%s: %d %q %s", p, r.status, r.body, r.header.Get("Cache-Control"))
		}
	}
	r := e.do("GET", "/main-ABCDEFGH.js", "", "", "Accept-Encoding", "gzip, br")
	if string(r.body) != "gzipped" || r.header.Get("Content-Encoding") != "gzip" || !strings.Contains(r.header.Get("Cache-Control"), "immutable") {
		t.Fatalf("hashed asset: %q %v", r.body, r.header)
	}
	if r := e.do("GET", "/main-ABCDEFGH.js", "", ""); string(r.body) != "console.log(1)" || r.header.Get("Content-Encoding") != "" {
		t.Fatalf("asset without gzip: %q", r.body)
	}
	if r := e.do("GET", "/main-OLD00000.js", "", ""); r.status != 404 {
		t.Fatalf("missing asset: %d", r.status)
	}
	etag := e.do("GET", "/", "", "").header.Get("ETag")
	if r := e.do("GET", "/", "", "", "If-None-Match", etag); r.status != 304 {
		t.Fatalf("conditional GET: %d", r.status)
	}
}

// TestOversizeBodyIsReceived sends 5 MB over a real socket: the client must read a
// DRF-shaped 413, not a reset connection.
func TestOversizeBodyIsReceived(t *testing.T) {
	e := newEnv(t, nil)
	ln, err := netListen()
	if err != nil {
		t.Fatal(err)
	}
	go e.app.Listener(ln)
	t.Cleanup(func() { e.app.Shutdown() })
	base := "http://" + ln.Addr().String()
	big := `{"username":"` + strings.Repeat("a", 5<<20) + `"}`
	post := func(path string, body io.Reader) (int, string) {
		t.Helper()
		res, err := http.Post(base+path, "application/json", body)
		if err != nil {
			t.Fatalf("%s: client error %v (the server reset the connection)", path, err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	// A reset is a race between the server's close and the client's writes: try often.
	for i := 0; i < 10; i++ {
		for _, path := range []string{"/api/register/", "/api-token-auth/"} {
			if st, b := post(path, strings.NewReader(big)); st != 413 || b != `{"detail":"Request body is too large."}` {
				t.Fatalf("%s: %d %s", path, st, b)
			}
		}
	}
	// Chunked (no Content-Length): the same, and a small chunked body still works.
	if st, _ := post("/api-token-auth/", io.MultiReader(strings.NewReader(big))); st != 413 {
		t.Fatalf("oversize chunked body: %d", st)
	}
	if st, b := post("/api-token-auth/", io.MultiReader(strings.NewReader(`{"username":"x","password":"y"}`))); st != 400 || !strings.Contains(b, "Unable to log in") {
		t.Fatalf("small chunked body: %d %s", st, b)
	}
}

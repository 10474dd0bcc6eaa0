package http

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/presenced/presenced/actors"
	"github.com/presenced/presenced/persistence"
)

// staff makes a staff user and returns its token.
func (e *env) staff(name string) string {
	e.t.Helper()
	u, err := e.store.CreateUser(context.Background(), persistence.NewUser{Username: name, Email: name + "@x.org", PasswordHash: "h", IsStaff: true})
	if err != nil {
		e.t.Fatal(err)
	}
	tok, _, err := e.tokens.Issue(u.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

func TestRoomPresenceEndpoint(t *testing.T) {
	e := newEnv(t, nil)
	tok, user := e.register("alice")
	_, bob := e.register("bob")
	uid, bid := int64(user["id"].(float64)), int64(bob["id"].(float64))
	alice := actors.User{ID: uid, Username: "alice", IsOnline: true}
	e.presence.rooms = map[string]actors.RoomPresence{
		"public:lobby": {Room: "public:lobby", Version: 4, Count: 1, Users: []actors.User{alice}},
		"team:1":       {Room: "team:1", Version: 2, Count: 1, Users: []actors.User{alice}},
	}
	roomTok := func(sub int64, room string) string {
		s, _, err := e.tokens.IssueRoom(sub, room, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	expired := func() string {
		s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": fmt.Sprint(uid), "room": "team:1", "exp": time.Now().Add(-time.Minute).Unix()}).SignedString(testSecret)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}()
	forged, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": fmt.Sprint(uid), "room": "team:1", "exp": time.Now().Add(time.Hour).Unix()}).SignedString([]byte("not-the-secret-not-the-secret-!!"))
	if err != nil {
		t.Fatal(err)
	}
	auth := "Token " + tok
	tests := []struct {
		name, path string
		hdr        []string
		status     int
		want       string
	}{
		{"no token", "/api/rooms/public:lobby/presence/", nil, 401, `"detail":"Authentication credentials were not provided."`},
		{"public room", "/api/rooms/public:lobby/presence/", []string{"Authorization", auth}, 200, `{"count":1,"room":"public:lobby","users":[{"id":`},
		{"public room, escaped", "/api/rooms/public%3Alobby/presence/", []string{"Authorization", auth}, 200, `"room":"public:lobby"`},
		{"an empty room", "/api/rooms/public:empty/presence/", []string{"Authorization", auth}, 200, `{"count":0,"room":"public:empty","users":[],"version":0}`},
		{"a malformed room name", "/api/rooms/a%20b/presence/", []string{"Authorization", auth}, 404, `{"detail":"Not found."}`},
		{"private, no room token", "/api/rooms/team:1/presence/", []string{"Authorization", auth}, 403, `{"detail":"You do not have permission to perform this action."}`},
		{"private, room token", "/api/rooms/team:1/presence/", []string{"Authorization", auth, "X-Room-Token", roomTok(uid, "team:1")}, 200, `"version":2`},
		{"a token for another room", "/api/rooms/team:1/presence/", []string{"Authorization", auth, "X-Room-Token", roomTok(uid, "team:2")}, 403, msgForbidden},
		{"a token for another user", "/api/rooms/team:1/presence/", []string{"Authorization", auth, "X-Room-Token", roomTok(bid, "team:1")}, 403, msgForbidden},
		{"a forged token", "/api/rooms/team:1/presence/", []string{"Authorization", auth, "X-Room-Token", forged}, 403, msgForbidden},
		{"an expired token", "/api/rooms/team:1/presence/", []string{"Authorization", auth, "X-Room-Token", expired}, 403, msgForbidden},
		{"the access token as a room token", "/api/rooms/team:1/presence/", []string{"Authorization", auth, "X-Room-Token", tok}, 403, msgForbidden},
	}
	for _, tc := range tests {
		r := e.do("GET", tc.path, "", "", tc.hdr...)
		if r.status != tc.status || !strings.Contains(string(r.body), tc.want) {
			t.Errorf("%s: %d %s, want %d with %s", tc.name, r.status, r.body, tc.status, tc.want)
		}
	}
	// The room's actor does not answer: 503, DRF-shaped, never a 500.
	e.presence.rooms = nil
	if r := e.do("GET", "/api/rooms/public:lobby/presence/", "", "", "Authorization", auth); r.status != 503 || r.json(t)["detail"] == nil {
		t.Fatalf("unavailable: %d %s", r.status, r.body)
	}
}

func TestUsersPresenceEndpoint(t *testing.T) {
	e := newEnv(t, nil)
	tok, user := e.register("alice")
	_, bob := e.register("bob")
	uid, bid := int64(user["id"].(float64)), int64(bob["id"].(float64))
	at := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	if err := e.store.ApplyPresence(context.Background(), []persistence.PresenceChange{{UserID: bid, Online: false, At: at}}); err != nil {
		t.Fatal(err)
	}
	e.presence.snap = actors.NewSnapshot(3, []actors.User{{ID: uid}})
	auth := []string{"Authorization", "Token " + tok}
	// 1,001 ids (repeats count: the bound is on what is sent; distinct ids this many
	// would not fit fasthttp's 4 KiB request head, which answers 431 itself).
	many := make([]string, 1001)
	for i := range many {
		many[i] = fmt.Sprint(i%9 + 1)
	}
	tests := []struct {
		name, query string
		status      int
		want        string
	}{
		{"two users, one unknown, a repeat", fmt.Sprintf("%d,%d,999,%d", bid, uid, bid), 200, fmt.Sprintf(
			`{"results":[{"id":%d,"online":true,"status":"online","last_seen":null},{"id":%d,"online":false,"status":"offline","last_seen":"2026-11-25T10:00:00Z"}]}`, uid, bid)},
		{"spaces", fmt.Sprintf(" %d , %d", uid, uid), 200, `"status":"online"`},
		{"missing", "", 400, `{"ids":["This field is required."]}`},
		{"not numbers", "1,two", 400, `{"ids":["A valid integer is required."]}`},
		{"negative", "-1", 400, `{"ids":["A valid integer is required."]}`},
		{"empty element", "1,,2", 400, `{"ids":["A valid integer is required."]}`},
		{"too many", strings.Join(many, ","), 400, `{"ids":["Ensure this field has no more than 1000 elements."]}`},
	}
	for _, tc := range tests {
		r := e.do("GET", "/api/users/presence/?ids="+strings.ReplaceAll(tc.query, " ", "%20"), "", "", auth...)
		if r.status != tc.status || !strings.Contains(string(r.body), tc.want) {
			t.Errorf("%s: %d %s, want %d with %s", tc.name, r.status, r.body, tc.status, tc.want)
		}
	}
	if r := e.do("GET", "/api/users/presence/?ids=1", "", ""); r.status != 401 {
		t.Fatalf("without a token: %d", r.status)
	}

	// POST asks the same for lists a query string cannot carry: 1,000 distinct ids of
	// six digits (7 KB) are answered, where a GET would exceed the 4 KiB request head.
	big := make([]string, 1000)
	for i := range big {
		big[i] = fmt.Sprint(100000 + i)
	}
	big[0], big[1] = fmt.Sprint(uid), fmt.Sprint(bid)
	posts := []struct {
		name, body string
		status     int
		want       string
	}{
		{"1,000 ids", `{"ids":[` + strings.Join(big, ",") + `]}`, 200, fmt.Sprintf(`{"results":[{"id":%d,"online":true,"status":"online","last_seen":null},{"id":%d,`, uid, bid)},
		{"too many", `{"ids":[` + strings.Join(many, ",") + `]}`, 400, `{"ids":["Ensure this field has no more than 1000 elements."]}`},
		{"missing", `{}`, 400, `{"ids":["This field is required."]}`},
		{"empty", `{"ids":[]}`, 400, `{"ids":["This field is required."]}`},
		{"not numbers", `{"ids":[1,"two"]}`, 400, `{"ids":["A valid integer is required."]}`},
		{"fractions", `{"ids":[1.5]}`, 400, `{"ids":["A valid integer is required."]}`},
		{"not a list", `{"ids":"1,2"}`, 400, `JSON parse error`},
		{"broken JSON", `{"ids":[1,`, 400, `JSON parse error`},
	}
	for _, tc := range posts {
		r := e.do("POST", "/api/users/presence/", "application/json", tc.body, auth...)
		if r.status != tc.status || !strings.Contains(string(r.body), tc.want) {
			t.Errorf("POST %s: %d %.200s, want %d with %s", tc.name, r.status, r.body, tc.status, tc.want)
		}
	}
	if r := e.do("POST", "/api/users/presence/", "application/json", `{"ids":[1]}`); r.status != 401 {
		t.Fatalf("POST without a token: %d", r.status)
	}
}

func TestRoomTokenEndpoint(t *testing.T) {
	e := newEnv(t, nil)
	tok, user := e.register("alice")
	uid := int64(user["id"].(float64))
	admin := e.staff("admin")
	post := func(bearer, body string) resp {
		return e.do("POST", "/api/rooms/token/", "application/json", body, "Authorization", "Token "+bearer)
	}
	if r := post(tok, `{"room":"team:1","user_id":1}`); r.status != 403 || r.json(t)["detail"] != msgForbidden {
		t.Fatalf("non-staff: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/rooms/token/", "application/json", `{}`); r.status != 401 {
		t.Fatalf("no token: %d", r.status)
	}
	r := post(admin, fmt.Sprintf(`{"room":"team:1","user_id":%d}`, uid))
	if r.status != 200 {
		t.Fatalf("staff: %d %s", r.status, r.body)
	}
	rc, err := e.tokens.VerifyRoom(r.json(t)["token"].(string))
	if err != nil || rc.UserID != uid || rc.Room != "team:1" || !rc.ExpiresAt.After(time.Now()) {
		t.Fatalf("issued %+v, %v", rc, err)
	}
	// user_id as a string is what a form sends: accepted.
	if r := post(admin, fmt.Sprintf(`{"room":"public:x","user_id":"%d"}`, uid)); r.status != 200 {
		t.Fatalf("string user_id: %d %s", r.status, r.body)
	}
	for _, tc := range []struct{ body, want string }{
		{`{}`, `{"room":["This field is required."],"user_id":["This field is required."]}`},
		{`{"room":"a b","user_id":1}`, `"room":["Enter a valid room name`},
		{`{"room":"r","user_id":"x"}`, `{"user_id":["A valid integer is required."]}`},
		{`{"room":"r","user_id":0}`, `{"user_id":["A valid integer is required."]}`},
		{`{"room":"r","user_id":424242}`, `{"user_id":["Invalid pk \"424242\" - object does not exist."]}`},
		{`{"room":"r","user_id":true}`, `"user_id":["Not a valid string."]`},
		{`[1]`, `non_field_errors`},
		{`{"room":`, `JSON parse error`},
	} {
		if r := post(admin, tc.body); r.status != 400 || !strings.Contains(string(r.body), tc.want) {
			t.Errorf("%s: %d %s, want 400 with %s", tc.body, r.status, r.body, tc.want)
		}
	}
	if r := e.do("GET", "/api/rooms/token/", "", "", "Authorization", "Token "+admin); r.status != 405 {
		t.Fatalf("GET: %d", r.status)
	}
}

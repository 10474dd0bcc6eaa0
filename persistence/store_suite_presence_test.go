package persistence

import (
	"errors"
	"testing"
	"time"
)

var presenceCases = []suiteCase{
	{"ApplyPresence", testApplyPresence},
	{"MarkAllOffline", testMarkAllOffline},
	{"RevokedTokens", testRevokedTokens},
	{"TimesRoundTrip", testTimesRoundTrip},
}

// A zone other than UTC and nanoseconds the database cannot keep: what comes back
// must be UTC, truncated to the microsecond.
var (
	cet = time.FixedZone("CET", 3600)
	t1  = time.Date(2026, 11, 25, 23, 0, 0, 123456789, cet)
	t2  = t1.Add(90 * time.Second)
)

func ptr(t time.Time) *time.Time {
	u := storedTime(t)
	return &u
}

func testApplyPresence(t *testing.T, b backend) {
	type want struct {
		online   bool
		lastSeen *time.Time
	}
	// Each case runs on a fresh user, referred to as id 0 in the batch; id -1 is unknown.
	tests := []struct {
		name  string
		batch []PresenceChange
		want  want
	}{
		{"empty batch", nil, want{false, nil}},
		{"online", []PresenceChange{{Online: true, At: t1}}, want{true, nil}},
		{"online then offline", []PresenceChange{{Online: true, At: t1}, {Online: false, At: t2}}, want{false, ptr(t2)}},
		{"offline then online keeps last_seen", []PresenceChange{{Online: false, At: t1}, {Online: true, At: t2}}, want{true, ptr(t1)}},
		{"offline twice", []PresenceChange{{Online: false, At: t1}, {Online: false, At: t2}}, want{false, ptr(t2)}},
		{"later change wins, not later time", []PresenceChange{{Online: false, At: t2}, {Online: false, At: t1}}, want{false, ptr(t1)}},
		{"unknown user ignored", []PresenceChange{{UserID: -1, Online: true, At: t1}, {Online: true, At: t1}, {UserID: -1, Online: false, At: t2}}, want{true, nil}},
	}
	s := newStore(t, b)
	ctx := t.Context()
	bystander := mustCreate(t, s, "bystander")
	for i, tc := range tests {
		u := mustCreate(t, s, "presence"+string(rune('a'+i)))
		batch := make([]PresenceChange, len(tc.batch))
		for j, c := range tc.batch {
			c.UserID = map[int64]int64{0: u.ID, -1: 9999999}[c.UserID]
			batch[j] = c
		}
		if err := s.ApplyPresence(ctx, batch); err != nil {
			t.Fatalf("%s: ApplyPresence: %v", tc.name, err)
		}
		got := mustUser(t, s, u.ID)
		if got.IsOnline != tc.want.online || fmtTime(got.LastSeen) != fmtTime(tc.want.lastSeen) {
			t.Errorf("%s: online=%v last_seen=%s, want online=%v last_seen=%s",
				tc.name, got.IsOnline, fmtTime(got.LastSeen), tc.want.online, fmtTime(tc.want.lastSeen))
		}
		if got.LastSeen != nil {
			checkUTC(t, "LastSeen", *got.LastSeen)
		}
	}
	// Batches touch only the users they name.
	sameUser(t, mustUser(t, s, bystander.ID), bystander)

	// Several users in one batch, interleaved.
	a, c := mustCreate(t, s, "multi-a"), mustCreate(t, s, "multi-c")
	batch := []PresenceChange{
		{UserID: c.ID, Online: true, At: t1},
		{UserID: a.ID, Online: true, At: t1},
		{UserID: c.ID, Online: false, At: t2},
	}
	if err := s.ApplyPresence(ctx, batch); err != nil {
		t.Fatalf("ApplyPresence: %v", err)
	}
	if got := mustUser(t, s, a.ID); !got.IsOnline || got.LastSeen != nil {
		t.Errorf("a: online=%v last_seen=%s, want online, never seen", got.IsOnline, fmtTime(got.LastSeen))
	}
	if got := mustUser(t, s, c.ID); got.IsOnline || fmtTime(got.LastSeen) != fmtTime(ptr(t2)) {
		t.Errorf("c: online=%v last_seen=%s, want offline at %s", got.IsOnline, fmtTime(got.LastSeen), fmtTime(ptr(t2)))
	}
}

func testMarkAllOffline(t *testing.T, b backend) {
	s := newStore(t, b)
	ctx := t.Context()
	on1, on2, off := mustCreate(t, s, "on1"), mustCreate(t, s, "on2"), mustCreate(t, s, "off")
	never := mustCreate(t, s, "never")
	err := s.ApplyPresence(ctx, []PresenceChange{
		{UserID: on1.ID, Online: true, At: t1},
		{UserID: on2.ID, Online: true, At: t1},
		{UserID: off.ID, Online: false, At: t1},
	})
	if err != nil {
		t.Fatalf("ApplyPresence: %v", err)
	}
	n, err := s.MarkAllOffline(ctx, t2)
	if err != nil || n != 2 {
		t.Fatalf("MarkAllOffline = %d, %v; want 2", n, err)
	}
	want := map[int64]*time.Time{on1.ID: ptr(t2), on2.ID: ptr(t2), off.ID: ptr(t1), never.ID: nil}
	for id, seen := range want {
		got := mustUser(t, s, id)
		if got.IsOnline || fmtTime(got.LastSeen) != fmtTime(seen) {
			t.Errorf("user %s: online=%v last_seen=%s, want offline, last_seen=%s",
				got.Username, got.IsOnline, fmtTime(got.LastSeen), fmtTime(seen))
		}
	}
	if n, err := s.MarkAllOffline(ctx, t2.Add(time.Hour)); err != nil || n != 0 {
		t.Errorf("second MarkAllOffline = %d, %v; want 0", n, err)
	}
	if got := mustUser(t, s, on1.ID); fmtTime(got.LastSeen) != fmtTime(ptr(t2)) {
		t.Errorf("second MarkAllOffline moved last_seen to %s", fmtTime(got.LastSeen))
	}
}

func testRevokedTokens(t *testing.T, b backend) {
	s := newStore(t, b)
	ctx := t.Context()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	revoke := func(jti string, exp time.Time) {
		t.Helper()
		if err := s.RevokeToken(ctx, RevokedToken{JTI: jti, ExpiresAt: exp}); err != nil {
			t.Fatalf("RevokeToken(%s): %v", jti, err)
		}
	}
	revoke("live-late", now.Add(2*time.Hour))
	revoke("live-soon", now.Add(time.Microsecond))
	revoke("expired", now.Add(-time.Hour))
	revoke("expires-now", now)                 // a JWT is refused from exp on: expired at now
	revoke("live-late", now.Add(-time.Minute)) // again, earlier: not an error, the later expiry stays
	revoke("extended", now.Add(-time.Minute))
	revoke("extended", now.Add(time.Hour)) // again, later: extended
	if err := s.RevokeToken(ctx, RevokedToken{ExpiresAt: now}); err == nil {
		t.Error("RevokeToken with an empty jti succeeded")
	}

	list := func(at time.Time) []RevokedToken {
		t.Helper()
		got, err := s.RevokedTokens(ctx, at)
		if err != nil {
			t.Fatalf("RevokedTokens: %v", err)
		}
		return got
	}
	wantLive := []RevokedToken{
		{"live-soon", now.Add(time.Microsecond)},
		{"extended", now.Add(time.Hour)},
		{"live-late", now.Add(2 * time.Hour)},
	}
	check := func(when string, got, want []RevokedToken) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: got %v, want %v", when, got, want)
		}
		for i := range want {
			if got[i].JTI != want[i].JTI || !got[i].ExpiresAt.Equal(want[i].ExpiresAt) {
				t.Errorf("%s: [%d] = %s %v, want %s %v", when, i, got[i].JTI, got[i].ExpiresAt, want[i].JTI, want[i].ExpiresAt)
			}
			checkUTC(t, "ExpiresAt", got[i].ExpiresAt)
		}
	}
	check("before purge", list(now), wantLive)

	n, err := s.PurgeRevokedTokens(ctx, now)
	if err != nil || n != 2 {
		t.Fatalf("PurgeRevokedTokens = %d, %v; want 2 (expired, expires-now)", n, err)
	}
	check("after purge", list(now), wantLive)
	if n, err := s.PurgeRevokedTokens(ctx, now); err != nil || n != 0 {
		t.Errorf("second PurgeRevokedTokens = %d, %v; want 0", n, err)
	}
	// An instant later live-soon has expired too.
	check("a microsecond later", list(now.Add(time.Microsecond)), wantLive[1:])
	if n, err := s.PurgeRevokedTokens(ctx, now.Add(3*time.Hour)); err != nil || n != 3 {
		t.Errorf("final PurgeRevokedTokens = %d, %v; want 3", n, err)
	}
	check("empty", list(now), []RevokedToken{})
}

func testTimesRoundTrip(t *testing.T, b backend) {
	s := newStore(t, b)
	ctx := t.Context()
	times := []time.Time{
		t1, // nanoseconds, CET
		time.Date(1969, 7, 20, 20, 17, 40, 999999999, time.UTC), // before the epoch
		time.Date(2199, 12, 31, 23, 59, 59, 999999000, time.UTC),
		time.Unix(0, 0),
		time.Now(), // carries a monotonic reading
	}
	for i, at := range times {
		u := mustCreate(t, s, "times"+string(rune('a'+i)))
		if err := s.ApplyPresence(ctx, []PresenceChange{{UserID: u.ID, Online: false, At: at}}); err != nil {
			t.Fatalf("ApplyPresence(%v): %v", at, err)
		}
		want := at.UTC().Truncate(time.Microsecond)
		got := mustUser(t, s, u.ID)
		if got.LastSeen == nil || !got.LastSeen.Equal(want) {
			t.Errorf("last_seen for %v = %s, want %s", at, fmtTime(got.LastSeen), want.Format(time.RFC3339Nano))
		} else {
			checkUTC(t, "LastSeen", *got.LastSeen)
		}

		jti := "jti-" + u.Username
		if err := s.RevokeToken(ctx, RevokedToken{JTI: jti, ExpiresAt: at}); err != nil {
			t.Fatalf("RevokeToken: %v", err)
		}
		toks, err := s.RevokedTokens(ctx, want.Add(-time.Microsecond))
		if err != nil {
			t.Fatalf("RevokedTokens: %v", err)
		}
		found := false
		for _, tok := range toks {
			if tok.JTI == jti {
				found = true
				if !tok.ExpiresAt.Equal(want) {
					t.Errorf("expires_at for %v = %v, want %v", at, tok.ExpiresAt, want)
				}
			}
		}
		if !found {
			t.Errorf("token expiring %v not listed just before it expires", at)
		}
	}
	if _, err := s.UserByID(ctx, -5); !errors.Is(err, ErrNotFound) {
		t.Errorf("UserByID(-5) err = %v, want ErrNotFound", err)
	}
}

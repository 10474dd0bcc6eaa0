package persistence

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func TestUsernameKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"alice", "alice"},
		{"ALICE", "alice"},
		{"Émile", "émile"},
		{"ÉMILE", "émile"},
		{"E\u0301mile", "émile"}, // decomposed: composed by NFKC
		{"Ｅｍｉｌｅ", "emile"},       // fullwidth: compatibility form
		{"Straße", "strasse"},    // full folding: ß is ss
		{"STRASSE", "strasse"},   //
		{"ẞ", "ss"},              // capital sharp s
		{"ﬁlm", "film"},          // ligature
		{"ǅemal", "džemal"},      // titlecase digraph
		{"K", "k"},               // KELVIN SIGN
		{"Ω", "ω"},               // OHM SIGN
		{"ΣΑΣ", "σασ"},           // final sigma folds like sigma
		{"σας", "σασ"},           //
		{"İ", "i\u0307"},         // Unicode folding keeps the dot (no Turkish tailoring)
		{"ı", "ı"},               // dotless i is its own letter
		{"Ꭰ", "Ꭰ"},               // Cherokee folds to uppercase…
		{"ꭰ", "Ꭰ"},               // …so the lowercase finds it
		{"ᏸ", "Ᏸ"},               //
		{"日本語ﾕｰｻﾞｰ", "日本語ユーザー"}, // halfwidth katakana
		{"x\xffy", "x\uFFFDy"},  // invalid UTF-8
		{"", ""},                //
		{"'; DROP TABLE users; --", "'; drop table users; --"},
	}
	for _, tc := range tests {
		if got := UsernameKey(tc.in); got != tc.want {
			t.Errorf("UsernameKey(%q) = %q (%+q), want %q (%+q)", tc.in, got, got, tc.want, tc.want)
		}
	}
}

// checkKey checks what every key must be, for the username s it was computed from.
func checkKey(t *testing.T, s string) {
	t.Helper()
	k := UsernameKey(s)
	if kk := UsernameKey(k); kk != k {
		t.Fatalf("not idempotent: UsernameKey(%+q) = %+q, UsernameKey of that = %+q", s, k, kk)
	}
	if !utf8.ValidString(k) {
		t.Fatalf("UsernameKey(%+q) = %+q, not valid UTF-8", s, k)
	}
	if !norm.NFKC.IsNormalString(k) {
		t.Fatalf("UsernameKey(%+q) = %+q, not NFKC", s, k)
	}
	if s != "" && k == "" {
		t.Fatalf("UsernameKey(%+q) is empty", s)
	}
	// Canonically and compatibly equivalent spellings share the key.
	for _, f := range []norm.Form{norm.NFC, norm.NFD, norm.NFKC, norm.NFKD} {
		if got := UsernameKey(f.String(s)); got != k {
			t.Fatalf("UsernameKey(%+q) = %+q, but of its %v form %+q", s, k, f, got)
		}
	}
}

// TestUsernameKeyEveryRune checks every assigned code point alone and, when it has case,
// a compatibility or canonical decomposition, or combines, in a few contexts too (after a
// letter, before a combining mark, before U+0345 whose folding moves it).
func TestUsernameKeyEveryRune(t *testing.T) {
	assigned := []*unicode.RangeTable{unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z, unicode.Cc, unicode.Cf}
	contexts := 0
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !utf8.ValidRune(r) || !unicode.In(r, assigned...) {
			continue
		}
		c := string(r)
		k := UsernameKey(c)
		if kk := UsernameKey(k); kk != k {
			t.Fatalf("not idempotent: UsernameKey(%U %+q) = %+q, UsernameKey of that = %+q", r, c, k, kk)
		}
		p := norm.NFKD.PropertiesString(c)
		if k == c && unicode.SimpleFold(r) == r && p.CCC() == 0 && p.Decomposition() == nil {
			continue
		}
		contexts++
		for _, s := range []string{"a" + c, c + "\u0301", c + "\u0345", "\u0399" + c + "\u0308"} {
			k := UsernameKey(s)
			if kk := UsernameKey(k); kk != k {
				t.Fatalf("not idempotent: UsernameKey(%+q) = %+q, UsernameKey of that = %+q", s, k, kk)
			}
		}
	}
	if contexts < 5000 {
		t.Errorf("only %d code points checked in context", contexts)
	}
}

// TestUsernameKeyAgreesWithSimpleFold: code points that the standard library's tables say
// are equal under Unicode simple case folding (unicode.SimpleFold orbits) share a key.
// This is an independent check of golang.org/x/text/cases, which got Cherokee wrong.
func TestUsernameKeyAgreesWithSimpleFold(t *testing.T) {
	checked := 0
	for r := rune(0); r <= unicode.MaxRune; r++ {
		o := unicode.SimpleFold(r)
		if o == r {
			continue
		}
		k := UsernameKey(string(r))
		for ; o != r; o = unicode.SimpleFold(o) {
			if ko := UsernameKey(string(o)); ko != k {
				t.Errorf("%U %q has key %+q, but %U %q, the same under simple case folding, has %+q", r, r, k, o, o, ko)
			}
		}
		checked++
	}
	if checked < 2000 {
		t.Errorf("only %d code points with case variants; the standard library's tables look wrong", checked)
	}
}

func FuzzUsernameKey(f *testing.F) {
	for _, s := range []string{"Émile", "E\u0301MILE", "Straße", "ΣΑΣ", "ǅ", "ﬃ", "\u0345\u0399", "Ꭰꭰ", "x\xff", "İı", "ｶﾞ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkKey(t, s)
		if ascii := strings.ToUpper(s); isASCII(s) && UsernameKey(ascii) != strings.ToLower(s) {
			t.Fatalf("ASCII %q: UsernameKey(%q) = %q, want %q", s, ascii, UsernameKey(ascii), strings.ToLower(s))
		}
	})
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func TestUsernameKeys(t *testing.T) {
	tests := []struct {
		name      string
		users     []keyedUser
		wantInErr []string // empty: no clash
	}{
		{"none", nil, nil},
		{"distinct", []keyedUser{{id: 1, username: "alice"}, {id: 2, username: "Émile"}, {id: 3, username: "emile"}}, nil},
		{"a pair", []keyedUser{{id: 4, username: "émile"}, {id: 1, username: "alice"}, {id: 2, username: "Émile"}},
			[]string{`: "Émile" (id 2) = "émile" (id 4). Usernames`}},
		{"groups by lowest id, users by id", []keyedUser{
			{id: 9, username: "straße"}, {id: 3, username: "E\u0301MILE"}, {id: 5, username: "STRASSE"},
			{id: 7, username: "Émile"}, {id: 1, username: "émile"}, {id: 8, username: "bob"},
		}, []string{": \"émile\" (id 1) = \"E\u0301MILE\" (id 3) = \"Émile\" (id 7); \"STRASSE\" (id 5) = \"straße\" (id 9). Usernames"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			users := slices.Clone(tc.users)
			err := usernameKeys(users)
			for i, u := range users {
				if u.key != UsernameKey(u.username) && len(tc.wantInErr) == 0 {
					t.Errorf("users[%d].key = %q, want %q", i, u.key, UsernameKey(u.username))
				}
			}
			if len(tc.wantInErr) == 0 {
				if err != nil {
					t.Fatalf("usernameKeys: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrUsernameClash) {
				t.Fatalf("err = %v, want ErrUsernameClash", err)
			}
			for _, want := range tc.wantInErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			if strings.Contains(err.Error(), "bob") || strings.Contains(err.Error(), "alice") {
				t.Errorf("error %q names a user that clashes with nobody", err)
			}
		})
	}
}

func TestUsernameKeysManyClashes(t *testing.T) {
	var users []keyedUser
	for i := range maxClashesListed + 7 {
		users = append(users, keyedUser{id: int64(2*i + 1), username: fmt.Sprintf("user%d", i)},
			keyedUser{id: int64(2*i + 2), username: fmt.Sprintf("USER%d", i)})
	}
	err := usernameKeys(users)
	if !errors.Is(err, ErrUsernameClash) {
		t.Fatalf("err = %v, want ErrUsernameClash", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, `"user0" (id 1) = "USER0" (id 2); "user1"`) || !strings.Contains(msg, "; and 7 more groups.") {
		t.Errorf("error %q does not list the first %d groups and count the rest", msg, maxClashesListed)
	}
	if n := strings.Count(msg, " = "); n != maxClashesListed {
		t.Errorf("error lists %d groups, want %d", n, maxClashesListed)
	}
}

// Go steps, like files, exist for the same versions on both backends, and only for known ones.
func TestMigrationStepsInStep(t *testing.T) {
	sv := slices.Sorted(maps.Keys(sqliteSteps))
	pv := slices.Sorted(maps.Keys(postgresSteps))
	if fmt.Sprint(sv) != fmt.Sprint(pv) {
		t.Errorf("sqlite steps for versions %v, postgres steps for %v: keep them in step", sv, pv)
	}
	known, err := loadMigrations(migrationFiles, sqliteMigrations)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range sv {
		if !slices.ContainsFunc(known, func(m migration) bool { return m.version == v }) {
			t.Errorf("a Go step for version %d, which has no SQL file", v)
		}
	}
}

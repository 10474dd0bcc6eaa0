package persistence

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// UsernameKey is the form under which usernames are compared: two usernames are the same
// user when their keys are equal. It is the Unicode full case folding of the NFKC form,
// brought back to NFKC (folding does not preserve normalization), so that "Émile",
// "ÉMILE", "E\u0301mile" and "Ｅｍｉｌｅ" share the key "émile", and "Straße" and "STRASSE"
// share "strasse". Invalid UTF-8 is replaced by U+FFFD first, so a key is always valid
// UTF-8. UsernameKey(UsernameKey(s)) == UsernameKey(s).
//
// The store computes it itself; callers pass usernames as typed. Others may use it to
// compare usernames as the store does (to key a per-username throttle, for instance).
func UsernameKey(username string) string {
	s := norm.NFKC.String(strings.ToValidUTF8(username, "\uFFFD"))
	// A Caser keeps state between calls: one per call, so UsernameKey is safe for concurrent use.
	s = cases.Fold().String(s)
	s = strings.Map(foldCherokee, s)
	return norm.NFKC.String(s)
}

// foldCherokee mends golang.org/x/text/cases (v0.44.0), whose Fold lowercases uppercase
// Cherokee and uppercases lowercase Cherokee, so "Ꭰ" and "ꭰ" would get different keys.
// Unicode folds Cherokee to uppercase (CaseFolding.txt: AB70; C; 13A0): after Fold, any
// lowercase Cherokee letter becomes its uppercase. TestUsernameKeyAgreesWithSimpleFold
// checks every code point against the standard library's case-folding orbits, so a
// change in x/text shows there.
func foldCherokee(r rune) rune {
	if (r >= 0xAB70 && r <= 0xABBF) || (r >= 0x13F8 && r <= 0x13FD) {
		return unicode.ToUpper(r)
	}
	return r
}

// ErrUsernameClash: existing users' usernames differ only in case or Unicode form, so the
// migration that makes usernames unique by UsernameKey cannot run. The error that wraps
// it names them.
var ErrUsernameClash = errors.New("persistence: existing usernames are the same without regard to case")

// keyedUser is one row the username-key migration reads.
type keyedUser struct {
	id       int64
	username string
	key      string
}

// maxClashesListed bounds the clash error; the rest are counted.
const maxClashesListed = 50

// usernameKeys reads users' keys into each element. When several users share a key it
// returns an error wrapping ErrUsernameClash that names every such group (each user's
// username and id), so an operator can rename all but one of each group.
func usernameKeys(users []keyedUser) error {
	byKey := make(map[string][]keyedUser, len(users))
	var order []string // keys by first appearance, for a stable message
	for i := range users {
		u := &users[i]
		u.key = UsernameKey(u.username)
		if _, seen := byKey[u.key]; !seen {
			order = append(order, u.key)
		}
		byKey[u.key] = append(byKey[u.key], *u)
	}
	var groups [][]keyedUser
	for _, k := range order {
		if g := byKey[k]; len(g) > 1 {
			slices.SortFunc(g, func(a, b keyedUser) int { return cmp.Compare(a.id, b.id) })
			groups = append(groups, g)
		}
	}
	if len(groups) == 0 {
		return nil
	}
	slices.SortFunc(groups, func(a, b []keyedUser) int { return cmp.Compare(a[0].id, b[0].id) })
	var b strings.Builder
	for i, g := range groups {
		if i == maxClashesListed {
			fmt.Fprintf(&b, "; and %d more groups", len(groups)-i)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		for j, u := range g {
			if j > 0 {
				b.WriteString(" = ")
			}
			fmt.Fprintf(&b, "%q (id %d)", u.username, u.id)
		}
	}
	return fmt.Errorf("%w: %s. Usernames are now unique without regard to case (Unicode case folding "+
		"after NFKC): rename all but one user of each group, then open the database again; nothing was changed",
		ErrUsernameClash, b.String())
}

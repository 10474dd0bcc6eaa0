package auth

import "github.com/presenced/presenced/internal/boundedmap"

// verifiedCacheSize bounds the tokens remembered as verified (a few MiB at most).
const verifiedCacheSize = 16384

// verifiedCache remembers the claims of tokens whose signature was checked, keyed by
// the whole token string; a forgotten token is simply verified again.
type verifiedCache = boundedmap.Map[string, Claims]

func newVerifiedCache(max int) *verifiedCache { return boundedmap.New[string, Claims](max) }

package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Token errors. Verify returns exactly one of them (wrapped) for a refused token.
var (
	ErrInvalidToken = errors.New("invalid token")
	ErrTokenExpired = errors.New("token expired")
	ErrTokenRevoked = errors.New("token revoked")
)

// MinSecretBytes is the shortest HS256 secret accepted.
const MinSecretBytes = 32

// DefaultIssuer is the iss claim of tokens this server issues and accepts.
const DefaultIssuer = "presenced"

// Claims is what a verified token says.
type Claims struct {
	UserID    int64
	JTI       string
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// RevocationStore persists revocations so that a logout survives a restart.
type RevocationStore interface {
	RevokeToken(ctx context.Context, jti string, expiresAt time.Time) error
	RevokedTokens(ctx context.Context, now time.Time) (map[string]time.Time, error)
}

// TokenConfig configures Tokens.
type TokenConfig struct {
	Secret []byte        // at least MinSecretBytes
	TTL    time.Duration // zero means 24h
	Issuer string        // zero means DefaultIssuer
	Now    func() time.Time
}

// Tokens issues, verifies and revokes access tokens.
type Tokens struct {
	secret []byte
	ttl    time.Duration
	issuer string
	now    func() time.Time
	parser *jwt.Parser
	// roomParser checks room tokens: HS256 and exp only (a backend writes sub, room
	// and exp, nothing else).
	roomParser *jwt.Parser
	revoked    *revocations
	store      RevocationStore
	seen       *verifiedCache
}

// NewTokens builds Tokens and fills the revocation cache from store.
func NewTokens(ctx context.Context, cfg TokenConfig, store RevocationStore) (*Tokens, error) {
	if len(cfg.Secret) < MinSecretBytes {
		return nil, fmt.Errorf("jwt secret is %d bytes, need at least %d", len(cfg.Secret), MinSecretBytes)
	}
	if cfg.TTL == 0 {
		cfg.TTL = 24 * time.Hour
	}
	if cfg.TTL < 0 {
		return nil, fmt.Errorf("token ttl %v must be positive", cfg.TTL)
	}
	if cfg.Issuer == "" {
		cfg.Issuer = DefaultIssuer
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	t := &Tokens{
		secret: cfg.Secret,
		ttl:    cfg.TTL,
		issuer: cfg.Issuer,
		now:    cfg.Now,
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithIssuer(cfg.Issuer),
			jwt.WithTimeFunc(cfg.Now),
		),
		roomParser: jwt.NewParser(
			jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
			jwt.WithExpirationRequired(),
			jwt.WithTimeFunc(cfg.Now),
		),
		revoked: newRevocations(),
		store:   store,
		seen:    newVerifiedCache(verifiedCacheSize),
	}
	if err := t.Reload(ctx); err != nil {
		return nil, err
	}
	return t, nil
}

// Reload adds the store's revocations to the cache: at start, and on a node of a
// cluster after an outage during which another node's revocations were missed.
func (t *Tokens) Reload(ctx context.Context) error {
	if t.store == nil {
		return nil
	}
	known, err := t.store.RevokedTokens(ctx, t.now())
	if err != nil {
		return fmt.Errorf("load revoked tokens: %w", err)
	}
	for jti, exp := range known {
		t.revoked.add(jti, exp)
	}
	return nil
}

// TTL is the lifetime of issued tokens.
func (t *Tokens) TTL() time.Duration { return t.ttl }

// Issue signs a new token for userID.
func (t *Tokens) Issue(userID int64) (string, Claims, error) {
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", Claims{}, fmt.Errorf("issue token: %w", err)
	}
	now := t.now().Truncate(time.Second)
	c := Claims{
		UserID:    userID,
		JTI:       base64.RawURLEncoding.EncodeToString(raw[:]),
		IssuedAt:  now,
		ExpiresAt: now.Add(t.ttl),
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{
		Issuer:    t.issuer,
		Subject:   strconv.FormatInt(userID, 10),
		ID:        c.JTI,
		IssuedAt:  jwt.NewNumericDate(c.IssuedAt),
		ExpiresAt: jwt.NewNumericDate(c.ExpiresAt),
	})
	s, err := tok.SignedString(t.secret)
	if err != nil {
		return "", Claims{}, fmt.Errorf("sign token: %w", err)
	}
	return s, c, nil
}

// Verify checks signature, algorithm, issuer, expiry and revocation. A token verified
// before is found in a small cache (every API call and socket bind of a session
// presents the same one); expiry and revocation are still checked on every call.
func (t *Tokens) Verify(token string) (Claims, error) {
	if c, ok := t.seen.Get(token); ok {
		switch {
		case !t.now().Before(c.ExpiresAt):
			return Claims{}, ErrTokenExpired
		case t.revoked.has(c.JTI):
			return Claims{}, ErrTokenRevoked
		}
		return c, nil
	}
	c, err := t.verify(token)
	if err == nil {
		// The cache keeps its own copy: a caller's string may be a view of a buffer
		// that is reused once the request is answered (fasthttp's).
		t.seen.Put(strings.Clone(token), c)
	}
	return c, err
}

func (t *Tokens) verify(token string) (Claims, error) {
	// A room token is never an access token, whatever else it carries.
	var rc roomJWT
	_, err := t.parser.ParseWithClaims(token, &rc, t.key)
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return Claims{}, ErrTokenExpired
	case err != nil:
		return Claims{}, fmt.Errorf("%w: %v", ErrInvalidToken, err)
	case rc.Room != nil:
		return Claims{}, fmt.Errorf("%w: a room token", ErrInvalidToken)
	}
	uid, perr := strconv.ParseInt(rc.Subject, 10, 64)
	if perr != nil || uid <= 0 || rc.ID == "" || rc.IssuedAt == nil {
		return Claims{}, fmt.Errorf("%w: missing or malformed sub/jti/iat", ErrInvalidToken)
	}
	c := Claims{UserID: uid, JTI: rc.ID, IssuedAt: rc.IssuedAt.Time, ExpiresAt: rc.ExpiresAt.Time}
	if t.revoked.has(c.JTI) {
		return Claims{}, ErrTokenRevoked
	}
	return c, nil
}

func (t *Tokens) key(tok *jwt.Token) (any, error) {
	// WithValidMethods already refuses other algorithms; this guards the key type too.
	if _, ok := tok.Method.(*jwt.SigningMethodHMAC); !ok {
		return nil, fmt.Errorf("unexpected signing method %v", tok.Header["alg"])
	}
	return t.secret, nil
}

// Revoke refuses c's token from now on, here and (through the store) after a restart.
// The cache is updated first, so the token is refused at once even if the store fails.
func (t *Tokens) Revoke(ctx context.Context, c Claims) error {
	t.revoked.add(c.JTI, c.ExpiresAt)
	if t.store == nil {
		return nil
	}
	if err := t.store.RevokeToken(ctx, c.JTI, c.ExpiresAt); err != nil {
		return fmt.Errorf("store revocation: %w", err)
	}
	return nil
}

// MarkRevoked records a revocation made elsewhere (another node) in the cache only.
func (t *Tokens) MarkRevoked(jti string, expiresAt time.Time) { t.revoked.add(jti, expiresAt) }

// IsRevoked reports whether jti is in the revocation cache.
func (t *Tokens) IsRevoked(jti string) bool { return t.revoked.has(jti) }

// PurgeRevoked drops cache entries of tokens that have expired anyway.
func (t *Tokens) PurgeRevoked() int { return t.revoked.purge(t.now()) }

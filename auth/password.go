package auth

import (
	"errors"
	"fmt"

	"golang.org/x/crypto/bcrypt"
)

// DefaultBcryptCost is the bcrypt work factor for new password hashes. 10 is OWASP's
// floor for bcrypt and costs ~50–70 ms of one core here: slow enough to make offline
// guessing expensive, fast enough that a 2-core node still serves ~30 logins/s while
// login throttling bounds online guessing. See README "Passwords".
const DefaultBcryptCost = 10

// MaxPasswordBytes is bcrypt's input limit; longer passwords are refused rather than
// silently truncated.
const MaxPasswordBytes = 72

// ErrPasswordMismatch means the password does not match the hash.
var ErrPasswordMismatch = errors.New("auth: password mismatch")

// Hasher hashes and checks passwords with bcrypt at a fixed cost.
type Hasher struct {
	cost  int
	dummy []byte // a hash at the same cost, compared against for unknown users
}

// NewHasher returns a Hasher at cost; zero means DefaultBcryptCost.
func NewHasher(cost int) (*Hasher, error) {
	if cost == 0 {
		cost = DefaultBcryptCost
	}
	if cost < bcrypt.MinCost || cost > bcrypt.MaxCost {
		return nil, fmt.Errorf("bcrypt cost %d outside [%d, %d]", cost, bcrypt.MinCost, bcrypt.MaxCost)
	}
	dummy, err := bcrypt.GenerateFromPassword([]byte("presenced-timing-equaliser"), cost)
	if err != nil {
		return nil, fmt.Errorf("new hasher: %w", err)
	}
	return &Hasher{cost: cost, dummy: dummy}, nil
}

// Cost is the bcrypt work factor of new hashes.
func (h *Hasher) Cost() int { return h.cost }

// Hash returns the bcrypt hash of password.
func (h *Hasher) Hash(password string) (string, error) {
	if len(password) > MaxPasswordBytes {
		return "", fmt.Errorf("hash password: longer than %d bytes", MaxPasswordBytes)
	}
	b, err := bcrypt.GenerateFromPassword([]byte(password), h.cost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(b), nil
}

// Check returns nil when password matches hash, ErrPasswordMismatch when it does not,
// and another error when the hash itself is unusable.
func (h *Hasher) Check(hash, password string) error {
	err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password))
	switch {
	case err == nil:
		return nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword), errors.Is(err, bcrypt.ErrPasswordTooLong):
		return ErrPasswordMismatch
	default:
		return fmt.Errorf("check password: %w", err)
	}
}

// CheckUnknown spends the same time as Check and always reports a mismatch, so that a
// login naming an unknown user takes as long as one with a wrong password.
func (h *Hasher) CheckUnknown(password string) error {
	_ = bcrypt.CompareHashAndPassword(h.dummy, []byte(password))
	return ErrPasswordMismatch
}

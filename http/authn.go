package http

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/presenced/presenced/auth"
	"github.com/presenced/presenced/persistence"
)

const (
	localClaims = "presenced.claims"
	localUser   = "presenced.user"
)

// bearer extracts the token from "Authorization: Token <t>" (DRF) or "Bearer <t>".
func bearer(header string) (string, bool) {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !(strings.EqualFold(scheme, "Token") || strings.EqualFold(scheme, "Bearer")) {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != "" && !strings.ContainsAny(tok, " \t")
}

// requireToken authenticates the request or answers 401 in DRF's words.
func (s *server) requireToken(c *fiber.Ctx) error {
	h := c.Get(fiber.HeaderAuthorization)
	if h == "" {
		return unauthorized(msgNotAuthenticated)
	}
	tok, ok := bearer(h)
	if !ok {
		return unauthorized("Invalid token header.")
	}
	claims, err := s.cfg.Tokens.Verify(tok)
	if err != nil {
		return unauthorized(msgInvalidToken)
	}
	u, err := s.cfg.Store.UserByID(c.UserContext(), claims.UserID)
	if errors.Is(err, persistence.ErrNotFound) {
		return unauthorized("User inactive or deleted.")
	}
	if err != nil {
		return err
	}
	c.Locals(localClaims, claims)
	c.Locals(localUser, u)
	return c.Next()
}

func claimsOf(c *fiber.Ctx) auth.Claims    { return c.Locals(localClaims).(auth.Claims) }
func userOf(c *fiber.Ctx) persistence.User { return c.Locals(localUser).(persistence.User) }

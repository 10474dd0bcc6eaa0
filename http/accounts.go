package http

import (
	"errors"
	"net/mail"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/presenced/presenced/auth"
	"github.com/presenced/presenced/persistence"
	"golang.org/x/text/unicode/norm"
)

const (
	maxUsernameLen = 150
	maxEmailLen    = 254
	minPasswordLen = 8
)

// Django's UnicodeUsernameValidator: letters, digits and @/./+/-/_ only.
var usernameRE = regexp.MustCompile(`^[\p{L}\p{N}_.@+-]+$`)

// normalizeUsername applies NFKC, as Django does, so that look-alike forms collide.
func normalizeUsername(s string) string { return norm.NFKC.String(s) }

func validateUsername(name string, errs fieldErrors) {
	if msg := UsernameProblem(name); msg != "" {
		errs.add("username", msg)
	}
}

// UsernameProblem says what is wrong with a (normalized) username in Django's words,
// or "" when it is fine. createsuperuser applies the same rule as registration.
func UsernameProblem(name string) string {
	switch {
	case strings.TrimSpace(name) == "":
		return msgBlank
	case utf8.RuneCountInString(name) > maxUsernameLen:
		return "Ensure this field has no more than 150 characters."
	case !usernameRE.MatchString(name):
		return "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters."
	}
	return ""
}

// NormalizeUsername is what registration does to a username before storing it.
func NormalizeUsername(s string) string { return normalizeUsername(s) }

func validateEmail(email string, errs fieldErrors) {
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || a.Name != "" || len(email) > maxEmailLen || !strings.Contains(email[strings.LastIndexByte(email, '@')+1:], ".") {
		errs.add("email", "Enter a valid email address.")
	}
}

// validatePassword applies Django's default validators that need no word list.
func validatePassword(password, username string, errs fieldErrors) {
	if utf8.RuneCountInString(password) < minPasswordLen {
		errs.add("password", "This password is too short. It must contain at least 8 characters.")
	}
	if len(password) > auth.MaxPasswordBytes {
		errs.add("password", "Ensure this field has no more than 72 bytes.")
	}
	if strings.IndexFunc(password, func(r rune) bool { return !unicode.IsDigit(r) }) < 0 && password != "" {
		errs.add("password", "This password is entirely numeric.")
	}
	if len(username) >= 3 && strings.Contains(strings.ToLower(password), strings.ToLower(username)) {
		errs.add("password", "The password is too similar to the username.")
	}
}

func (s *server) register(c *fiber.Ctx) error {
	at, wait := s.throttle.beginRegistration(s.clientIP(c))
	if wait > 0 {
		return throttled(retryAfterSeconds(wait))
	}
	f, err := parseBody(c)
	if err != nil {
		s.throttle.registrationVoid(at)
		return err
	}
	errs := fieldErrors{}
	username := normalizeUsername(f.required("username", errs))
	email := strings.TrimSpace(f.required("email", errs))
	password := f.required("password", errs)
	if _, bad := errs["username"]; !bad {
		validateUsername(username, errs)
	}
	if _, bad := errs["email"]; !bad {
		validateEmail(email, errs)
	}
	if _, bad := errs["password"]; !bad {
		validatePassword(password, username, errs)
	}
	if err := errs.err(); err != nil {
		s.throttle.registrationVoid(at)
		return err
	}
	hash, err := s.cfg.Hasher.Hash(password)
	if err != nil {
		return err
	}
	u, err := s.cfg.Store.CreateUser(c.UserContext(), persistence.NewUser{Username: username, Email: email, PasswordHash: hash})
	if errors.Is(err, persistence.ErrUsernameTaken) {
		return &apiError{status: fiber.StatusBadRequest, body: fieldErrors{"username": {"A user with that username already exists."}}}
	}
	if err != nil {
		return err
	}
	tok, claims, err := s.cfg.Tokens.Issue(u.ID)
	if err != nil {
		return err
	}
	s.cfg.Presence.LoggedIn(s.view(u), claims.JTI, claims.ExpiresAt)
	s.cfg.Logger.Info("user registered", "user_id", u.ID, "request_id", requestID(c))
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"user": s.viewOnline(u), "token": tok})
}

func (s *server) login(c *fiber.Ctx) error {
	f, err := parseBody(c)
	if err != nil {
		return err
	}
	errs := fieldErrors{}
	username := normalizeUsername(f.required("username", errs))
	password := f.required("password", errs)
	if err := errs.err(); err != nil {
		return err
	}
	// Counted before the password is checked: attempts sent in parallel are counted,
	// not all checked, and a throttled pair costs no hash.
	at, wait := s.throttle.begin(s.clientIP(c), persistence.UsernameKey(username))
	if wait > 0 {
		s.metrics.logins.WithLabelValues("throttled").Inc()
		return throttled(retryAfterSeconds(wait))
	}
	u, err := s.cfg.Store.UserByUsername(c.UserContext(), username)
	switch {
	case errors.Is(err, persistence.ErrNotFound):
		_ = s.cfg.Hasher.CheckUnknown(password)
		err = auth.ErrPasswordMismatch
	case err == nil:
		err = s.cfg.Hasher.Check(u.PasswordHash, password)
	}
	if errors.Is(err, auth.ErrPasswordMismatch) {
		s.metrics.logins.WithLabelValues("failure").Inc()
		return &apiError{status: fiber.StatusBadRequest, body: fieldErrors{"non_field_errors": {msgBadCredentials}}}
	}
	if err != nil {
		s.throttle.void(at)
		return err
	}
	s.throttle.succeeded(at)
	tok, claims, err := s.cfg.Tokens.Issue(u.ID)
	if err != nil {
		return err
	}
	s.cfg.Presence.LoggedIn(s.view(u), claims.JTI, claims.ExpiresAt)
	s.metrics.logins.WithLabelValues("success").Inc()
	return c.JSON(fiber.Map{"user": s.viewOnline(u), "token": tok, "agent": c.Get(fiber.HeaderUserAgent)})
}

func (s *server) logout(c *fiber.Ctx) error {
	claims := claimsOf(c)
	// Revoke first: even if storing the revocation fails, this node refuses the token now.
	err := s.cfg.Tokens.Revoke(c.UserContext(), claims)
	s.cfg.Presence.TokenRevoked(claims.UserID, claims.JTI, claims.ExpiresAt)
	if err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *server) me(c *fiber.Ctx) error {
	return c.JSON(s.view(userOf(c)))
}

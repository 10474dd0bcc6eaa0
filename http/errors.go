package http

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// Messages that clients may match on; they are Django REST Framework's.
const (
	msgNotAuthenticated = "Authentication credentials were not provided."
	msgInvalidToken     = "Invalid token."
	msgBadCredentials   = "Unable to log in with provided credentials."
	msgRequired         = "This field is required."
	msgBlank            = "This field may not be blank."
	msgNull             = "This field may not be null."
	msgNotString        = "Not a valid string."
	msgNotFound         = "Not found."
	msgServerError      = "A server error occurred."
)

// apiError is an error that knows its status and DRF-shaped body.
type apiError struct {
	status int
	body   any
	header map[string]string
}

func (e *apiError) Error() string { return fmt.Sprintf("http %d", e.status) }

func detail(status int, msg string) *apiError {
	return &apiError{status: status, body: fiber.Map{"detail": msg}}
}

// fieldErrors is DRF's validation error body: field name → messages.
type fieldErrors map[string][]string

func (f fieldErrors) add(field, msg string) { f[field] = append(f[field], msg) }

func (f fieldErrors) err() error {
	if len(f) == 0 {
		return nil
	}
	return &apiError{status: fiber.StatusBadRequest, body: map[string][]string(f)}
}

func unauthorized(msg string) *apiError {
	e := detail(fiber.StatusUnauthorized, msg)
	e.header = map[string]string{fiber.HeaderWWWAuthenticate: `Token`}
	return e
}

func throttled(retryAfterSeconds int) *apiError {
	e := detail(fiber.StatusTooManyRequests,
		"Request was throttled. Expected available in "+strconv.Itoa(retryAfterSeconds)+" seconds.")
	e.header = map[string]string{fiber.HeaderRetryAfter: strconv.Itoa(retryAfterSeconds)}
	return e
}

// errorHandler turns every error that reaches fiber — ours, fiber's own (404, 405,
// 413 from the body limit) and recovered panics — into a DRF-shaped JSON response.
func errorHandler(log *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		var ae *apiError
		var fe *fiber.Error
		switch {
		case errors.As(err, &ae):
		case errors.As(err, &fe):
			ae = fiberError(c, fe)
		default:
			log.Error("request failed", "method", c.Method(), "path", c.Path(),
				"request_id", requestID(c), "err", err)
			ae = detail(fiber.StatusInternalServerError, msgServerError)
		}
		for k, v := range ae.header {
			c.Set(k, v)
		}
		return c.Status(ae.status).JSON(ae.body)
	}
}

func fiberError(c *fiber.Ctx, fe *fiber.Error) *apiError {
	switch fe.Code {
	case fiber.StatusNotFound:
		return detail(fe.Code, msgNotFound)
	case fiber.StatusMethodNotAllowed:
		return detail(fe.Code, `Method "`+c.Method()+`" not allowed.`)
	case fiber.StatusRequestEntityTooLarge:
		return detail(fe.Code, "Request body is too large.")
	case fiber.StatusRequestTimeout:
		return detail(fe.Code, "Request timed out.")
	}
	msg := fe.Message
	if fe.Code >= 500 {
		msg = msgServerError
	} else if msg != "" && !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return detail(fe.Code, msg)
}

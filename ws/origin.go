package ws

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// originPolicy implements Config.AllowedOrigins for both transports:
// websocket has no CORS, so the Origin header is the only defence against
// cross-site websocket hijacking; polling additionally gets CORS headers.
type originPolicy struct {
	any  bool
	list map[string]struct{} // lower-cased, without trailing slash
}

func newOriginPolicy(allowed []string) originPolicy {
	p := originPolicy{list: make(map[string]struct{}, len(allowed))}
	for _, o := range allowed {
		o = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(o), "/"))
		switch o {
		case "":
		case "*":
			p.any = true
		default:
			p.list[o] = struct{}{}
		}
	}
	return p
}

// allowed reports whether a request with this Origin (possibly empty) to
// this Host may proceed. No Origin means not a browser: allowed.
func (p originPolicy) allowed(origin, host string) bool {
	if origin == "" || p.any {
		return true
	}
	if len(p.list) > 0 {
		_, ok := p.list[strings.ToLower(origin)]
		return ok
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	return strings.EqualFold(u.Host, host)
}

// setCORS adds the headers a browser needs to read a cross-origin polling
// response (socket.io-client's withCredentials needs Allow-Credentials,
// which forbids "*", so the allowed origin is echoed).
func setCORS(c *fiber.Ctx, origin string) {
	if origin == "" {
		return
	}
	h := &c.Context().Response.Header
	h.Set(fiber.HeaderAccessControlAllowOrigin, origin)
	h.Set(fiber.HeaderAccessControlAllowCredentials, "true")
	h.Add(fiber.HeaderVary, fiber.HeaderOrigin)
}

// preflight answers an OPTIONS request for an allowed origin.
func preflight(c *fiber.Ctx, origin string) error {
	setCORS(c, origin)
	h := &c.Context().Response.Header
	h.Set(fiber.HeaderAccessControlAllowMethods, "GET, POST, OPTIONS")
	if req := c.Get(fiber.HeaderAccessControlRequestHeaders); req != "" {
		h.Set(fiber.HeaderAccessControlAllowHeaders, req)
	}
	h.Set(fiber.HeaderAccessControlMaxAge, "86400")
	return c.SendStatus(fiber.StatusNoContent)
}

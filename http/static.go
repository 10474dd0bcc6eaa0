package http

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"mime"
	"path"
	"regexp"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// asset is one file of the SPA, held in memory with its gzip form if the build made one.
type asset struct {
	body, gz    []byte
	contentType string
	etag        string
	immutable   bool // content-hashed name: cache for a year
}

// static serves the SPA from memory: files as they are, and index.html for any other
// GET that is not an API path, so client-side routes survive a reload.
type static struct {
	files map[string]*asset
	index *asset
}

// Angular names bundles like main-7ZQ5K3TN.js: a hash between a dash and the extension.
var hashedName = regexp.MustCompile(`-[A-Z0-9]{8,}\.[a-z0-9]+$`)

func newStatic(fsys fs.FS) (*static, error) {
	s := &static{files: map[string]*asset{}}
	if fsys != nil {
		err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || strings.HasSuffix(p, ".gz") {
				return err
			}
			body, err := fs.ReadFile(fsys, p)
			if err != nil {
				return err
			}
			gz, err := fs.ReadFile(fsys, p+".gz")
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			sum := sha256.Sum256(body)
			ct := mime.TypeByExtension(path.Ext(p))
			if ct == "" {
				ct = "application/octet-stream"
			}
			s.files["/"+p] = &asset{
				body: body, gz: gz, contentType: ct,
				etag:      `"` + hex.EncodeToString(sum[:8]) + `"`,
				immutable: hashedName.MatchString(p),
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("load SPA assets: %w", err)
		}
	}
	s.index = s.files["/index.html"]
	if s.index == nil {
		s.index = &asset{body: []byte(placeholder), contentType: "text/html; charset=utf-8", etag: `"placeholder"`}
	}
	return s, nil
}

func (s *static) serve(c *fiber.Ctx) error {
	if c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead {
		return fiber.ErrNotFound
	}
	p := c.Path()
	a, ok := s.files[p]
	if !ok {
		// A missing file with an extension (a stale bundle) is a 404, not the app.
		if path.Ext(p) != "" && p != "/" {
			return fiber.ErrNotFound
		}
		a = s.index
	}
	c.Set(fiber.HeaderContentType, a.contentType)
	c.Set(fiber.HeaderETag, a.etag)
	c.Set(fiber.HeaderVary, fiber.HeaderAcceptEncoding)
	c.Set("X-Content-Type-Options", "nosniff")
	if a.immutable {
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		c.Set(fiber.HeaderCacheControl, "no-cache")
	}
	if bytes.Equal(c.Request().Header.Peek(fiber.HeaderIfNoneMatch), []byte(a.etag)) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	if a.gz != nil && acceptsGzip(c.Get(fiber.HeaderAcceptEncoding)) {
		c.Set(fiber.HeaderContentEncoding, "gzip")
		return c.Send(a.gz)
	}
	return c.Send(a.body)
}

func acceptsGzip(h string) bool {
	for _, part := range strings.Split(h, ",") {
		name, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}

const placeholder = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>presenced</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; padding: 0 1rem">
<h1>presenced</h1>
<p>The server is running. The web app has not been built into this binary; run <code>make web</code>.</p>
<p>API: <code>POST /api/register/</code>, <code>POST /api-token-auth/</code>, <code>GET /api/users/online/</code>.</p>
</body></html>
`

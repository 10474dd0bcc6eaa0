// Package web owns the presenced single-page app: its Angular sources (src/), toolchain (package.json,
// package-lock.json, angular.json, tools/) and the built output in dist/, which is committed and
// embedded here so that `go build` needs no Node.
//
// Dist() is the built SPA, rooted at the folder holding index.html:
//
//	index.html                 the app shell; serve it for "/" and every unknown non-API path (client-side routes
//	                           such as /login, /register, /operator) with Cache-Control: no-cache
//	main-<hash>.js, chunk-<hash>.js, styles-<hash>.css
//	                           content-hashed: safe to cache for a year (immutable)
//	favicon.svg, 3rdpartylicenses.txt
//	<file>.gz                  a gzip of <file> for every .js .mjs .css .html .svg .json .txt .map .webmanifest .xml;
//	                           serve it with Content-Encoding: gzip (and Vary: Accept-Encoding) when the client
//	                           accepts gzip, with the Content-Type of <file>
//
// Rebuild with `cd web && npm ci && npm run build` (Node >= 22.22: see tools/ensure-node.sh); the build is
// deterministic, so CI can check that the committed dist/ equals a fresh build.
package web

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Dist returns the built SPA as a read-only file system rooted at the folder holding index.html.
func Dist() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		// Unreachable: "dist" is a valid path and the embed directive guarantees it exists.
		panic("web: " + err.Error())
	}
	return sub
}

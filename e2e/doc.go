// Package e2e holds the end-to-end tests: they build the real presenced binary, start it
// on a loopback port with a database of their own, and drive it with real clients — the
// npm socket.io-client (what the browser runs) from Node scripts in this folder, and
// Debian's chromium through playwright-core for the single-page app.
package e2e

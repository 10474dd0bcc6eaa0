// Package http owns presenced's HTTP surface on fiber: the REST API in Django REST
// Framework's shapes (register, token login, logout, me, users, online users), its
// middleware (request ids, access log, panic recovery, token authentication, login
// throttling, body limits), the health and readiness probes, and serving the embedded
// single-page app. Socket.IO routes are mounted by the ws package through Config.Mount.
//
// Errors always leave in DRF's shapes: {"detail": "…"} or {"field": ["…"]}.
package http

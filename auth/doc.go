// Package auth owns credentials: password hashing (bcrypt), access tokens (JWT, HS256
// only, via golang-jwt/v5) and their revocation. It keeps an in-memory cache of revoked
// token ids so that every request and every socket bind checks revocation without a
// database round trip; the cache is filled from, and written through to, a small
// RevocationStore that the persistence package satisfies.
//
// auth imports nothing of presenced.
package auth

// Package actors owns presence: who is online, how sockets bind to users, the periodic
// sweep, and the updates every bound socket receives. It runs on protoactor-go and
// imports nothing of presenced; it declares the small interfaces it needs (Socket,
// Verifier, Directory, Writer in ports.go) and the transport and composition root
// implement them.
//
// # Supervision tree
//
//	root
//	├── presence-N           presence supervisor (presence.go over presence_state.go)
//	│   ├── user-<id>-N      one per user with sockets or login credit (user.go over user_state.go)
//	│   └── …                restarted on failure (10 in 10 s), state kept across restarts
//	├── store-writer-N       batches presence transitions into the database (store_writer.go)
//	└── conn-N (guardian)    one per socket (conn.go over conn_state.go); stopped, never
//	                         restarted, on failure — stopping closes its socket
//
// User actors own the binding of conns: they hold the set of a user's bound conns and
// the tokens that bound them, and log those conns out when a token is revoked. They
// also hold the credit of HTTP logins (two sweeps, keyed by the token's jti), which
// ends when a conn binds with that login's token. Conn
// actors are not their children because a socket can exist before any user (anonymous)
// and can move from one user to another.
//
// # Who sends what to whom
//
//	from            to              message                          when
//	transport       conn            EventReceived, SocketClosed      client event, transport gone
//	conn            presence        ConnOpened, ConnBound,           socket opened, bound by a token,
//	                                ConnUnbound, ConnClosed          unbound, stopped
//	presence        user            AttachConn, DetachConn,          a conn bound / unbound or closed,
//	                                GrantLogin, RevokeToken          HTTP login, HTTP logout
//	user            presence        UserCameOnline, UserWentOffline, the user's online state changed,
//	                                UserIdle                         nothing left: may be stopped
//	user            conn            LogOut                           the token that bound it was revoked
//	presence        conn            SweepStarted                     every ping interval (ping + liveness)
//	presence        conn            DeliverUpdate                    a coalesced update (bound conns only)
//	presence        conn            CloseConn                        shutdown
//	presence        store writer    PresenceChanged                  each published update
//	HTTP layer      presence        HTTPLoggedIn, TokenRevoked       login / register, logout
//
// Pongs stop at the conn actor: it records liveness, counts, and binds only for a token
// different from the one that bound it. Nothing on that path takes a shared lock,
// touches the database, or messages presence. The ng-action is decoded, and a new
// token verified and its user looked up, before the message is sent (Conn.Event, in
// the transport's goroutine), so that conn actors never parse, verify or wait.
//
// Conn actors run on protoactor's synchronized dispatcher: a message to an idle conn
// actor is handled in the goroutine that posts it (the transport's reader for pongs,
// presence's for a sweep), with no goroutine started per message — at 10,000 sockets
// that costs 2.7 µs a pong instead of 23 µs (BenchmarkPongPath). It is also why nothing
// a conn actor does may block: its writes go to the socket's bounded queue.
//
// # Ordering
//
// Messages from one actor to another arrive in the order sent. A conn's Opened, Bound,
// Unbound and Closed therefore reach presence in order. Presence stops an idle user
// actor only when the actor has handled every message presence sent it (UserIdle
// carries the count), so nothing is lost to a stopping actor.
package actors

package actors

// Socket.IO event names of the contract.
const (
	EventNgAction         = "ng-action"
	EventPing             = "server-action:ping"
	EventUpdateUserOnline = "server-action:update_user_online"
	EventLoggedOut        = "server-action:logged_out"
	EventError            = "server-action:error"
	EventStats            = "server-action:stats"
)

// ng-action actions.
const (
	ActionPong   = "pong"
	ActionLogin  = "login"
	ActionLogout = "logout"
)

// server-action:logged_out reasons.
const (
	ReasonLogout       = "logout"
	ReasonTokenExpired = "token_expired"
)

// server-action:error codes.
const (
	CodeInvalidToken = "invalid_token"
	CodeTokenExpired = "token_expired"
	CodeRateLimited  = "rate_limited"
	CodeBadRequest   = "bad_request"
	// CodeTooManyConnections refuses a bind beyond -max-conns-per-user.
	CodeTooManyConnections = "too_many_connections"
	CodeInternal           = "internal_error"
)

// Close reasons the actors give the transport (logged, and counted by reason).
const (
	CloseNoPong      = "no pong"
	CloseShutdown    = "server shutdown"
	CloseActorFailed = "conn actor failed"
)

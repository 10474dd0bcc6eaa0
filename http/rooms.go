package http

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/presenced/presenced/actors"
	"github.com/presenced/presenced/persistence"
)

// Scoped presence over HTTP: a room's members, some users' presence, and room tokens
// for staff.

const (
	msgForbidden = "You do not have permission to perform this action."
	// headerRoomToken carries the room token of a room not named public:….
	headerRoomToken = "X-Room-Token"
	// maxPresenceIDs bounds GET /api/users/presence/ (the watchlist's bound).
	maxPresenceIDs = actors.MaxWatchedPerSocket
)

// roomPresence is GET /api/rooms/<room>/presence/: the room as its actor last
// published it. users holds at most -room-list-max members (by id); count is the
// whole room.
func (s *server) roomPresence(c *fiber.Ctx) error {
	room, err := url.PathUnescape(c.Params("room"))
	if err != nil || !actors.ValidRoomName(room) {
		return detail(fiber.StatusNotFound, msgNotFound)
	}
	if !actors.IsPublicRoom(room) {
		tok := c.Get(headerRoomToken)
		if tok == "" {
			return detail(fiber.StatusForbidden, msgForbidden)
		}
		rc, err := s.cfg.Tokens.VerifyRoom(tok)
		if err != nil || rc.Room != room || rc.UserID != userOf(c).ID {
			return detail(fiber.StatusForbidden, msgForbidden)
		}
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	rp, err := s.cfg.Presence.RoomPresence(ctx, room)
	if err != nil {
		s.cfg.Logger.Warn("room presence unavailable", "room", room, "request_id", requestID(c), "err", err)
		return detail(fiber.StatusServiceUnavailable, "Room presence is unavailable now; try again.")
	}
	users := rp.Users
	if users == nil {
		users = []actors.User{}
	}
	return c.JSON(fiber.Map{"room": room, "version": rp.Version, "count": rp.Count, "users": users})
}

// presenceStatus is one user in GET /api/users/presence/ (the shape of the watchlist's).
type presenceStatus struct {
	ID       int64      `json:"id"`
	Online   bool       `json:"online"`
	Status   string     `json:"status"`
	LastSeen *time.Time `json:"last_seen"`
}

// usersPresence is GET /api/users/presence/?ids=1,2,3: the users among ids that
// exist, by id (unknown ids are left out), online as live presence says, last_seen as
// stored (the last time the user went offline).
func (s *server) usersPresence(c *fiber.Ctx) error {
	var ids []int64
	var err error
	if c.Method() == fiber.MethodPost {
		ids, err = idsFromBody(c.Body())
	} else {
		ids, err = parseIDs(c.Query("ids"))
	}
	if err != nil {
		return err
	}
	users, err := s.cfg.Store.UsersByIDs(c.UserContext(), ids)
	if err != nil {
		return err
	}
	snap := s.cfg.Presence.Online()
	results := make([]presenceStatus, len(users))
	for i, u := range users {
		st := presenceStatus{ID: u.ID, Status: actors.StatusOffline, LastSeen: u.LastSeen}
		if snap.IsOnline(u.ID) {
			st.Online, st.Status = true, actors.StatusOnline
		}
		results[i] = st
	}
	return c.JSON(fiber.Map{"results": results})
}

// parseIDs reads "1,2,3" (spaces allowed around ids) into distinct ids, or a DRF field
// error on ids.
func parseIDs(q string) ([]int64, error) {
	fail := func(msg string) error { return fieldErrors{"ids": {msg}}.err() }
	if strings.TrimSpace(q) == "" {
		return nil, fail(msgRequired)
	}
	return checkIDs(strings.Split(q, ","))
}

// idsFromBody reads POST /api/users/presence/'s {"ids": [1, 2, 3]}: the same question
// as the GET, for lists whose query string would not fit in a request head (1,000
// ids of several digits exceed fasthttp's 4 KiB; the GET then answers 431).
func idsFromBody(body []byte) ([]int64, error) {
	fail := func(msg string) error { return fieldErrors{"ids": {msg}}.err() }
	var in struct {
		IDs *[]json.RawMessage `json:"ids"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, detail(fiber.StatusBadRequest, "JSON parse error - "+err.Error())
	}
	if in.IDs == nil || len(*in.IDs) == 0 {
		return nil, fail(msgRequired)
	}
	parts := make([]string, len(*in.IDs))
	for i, raw := range *in.IDs {
		parts[i] = string(raw)
	}
	return checkIDs(parts)
}

// checkIDs turns id strings into distinct positive ids, or a DRF field error on ids.
func checkIDs(parts []string) ([]int64, error) {
	fail := func(msg string) error { return fieldErrors{"ids": {msg}}.err() }
	if len(parts) > maxPresenceIDs {
		return nil, fail("Ensure this field has no more than " + strconv.Itoa(maxPresenceIDs) + " elements.")
	}
	ids := make([]int64, 0, len(parts))
	seen := make(map[int64]bool, len(parts))
	for _, p := range parts {
		id, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64)
		if err != nil || id <= 0 {
			return nil, fail("A valid integer is required.")
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// roomToken is POST /api/rooms/token/ {"room", "user_id"}, for staff: a room token
// for that user and room, valid for -token-ttl.
func (s *server) roomToken(c *fiber.Ctx) error {
	if !userOf(c).IsStaff {
		return detail(fiber.StatusForbidden, msgForbidden)
	}
	f, err := parseBody(c)
	if err != nil {
		return err
	}
	errs := fieldErrors{}
	room := f.required("room", errs)
	if len(errs["room"]) == 0 && !actors.ValidRoomName(room) {
		errs.add("room", "Enter a valid room name: 1 to 128 letters, digits and _.:@- characters.")
	}
	var uid int64
	if raw := f.required("user_id", errs); len(errs["user_id"]) == 0 {
		n, perr := strconv.ParseInt(strings.TrimSpace(raw), 10, 64)
		if perr != nil || n <= 0 {
			errs.add("user_id", "A valid integer is required.")
		} else {
			uid = n
		}
	}
	if err := errs.err(); err != nil {
		return err
	}
	if _, err := s.cfg.Store.UserByID(c.UserContext(), uid); errors.Is(err, persistence.ErrNotFound) {
		errs.add("user_id", `Invalid pk "`+strconv.FormatInt(uid, 10)+`" - object does not exist.`)
		return errs.err()
	} else if err != nil {
		return err
	}
	tok, _, err := s.cfg.Tokens.IssueRoom(uid, room, 0)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"token": tok})
}

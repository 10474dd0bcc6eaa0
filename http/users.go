package http

import (
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/presenced/presenced/actors"
	"github.com/presenced/presenced/persistence"
)

// view is the public user object with is_online taken from live presence, which is
// fresher than the column the background writer updates.
func (s *server) view(u persistence.User) actors.User {
	return actors.User{
		ID: u.ID, Username: u.Username, Email: u.Email,
		IsOnline: s.cfg.Presence.Online().IsOnline(u.ID), LastSeen: u.LastSeen,
		DateJoined: u.DateJoined, IsStaff: u.IsStaff,
	}
}

// viewOnline is view for a user who has just logged in, and so is online.
func (s *server) viewOnline(u persistence.User) actors.User {
	v := s.view(u)
	v.IsOnline = true
	return v
}

func (s *server) onlineUsers(c *fiber.Ctx) error {
	snap := s.cfg.Presence.Online()
	users := snap.Users
	if users == nil {
		users = []actors.User{}
	}
	return c.JSON(fiber.Map{"version": snap.Version, "count": len(users), "users": users})
}

// listUsers is DRF's PageNumberPagination over all accounts.
func (s *server) listUsers(c *fiber.Ctx) error {
	page := 1
	if p := c.Query("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 {
			return detail(fiber.StatusNotFound, "Invalid page.")
		}
		page = n
	}
	size := s.cfg.PageSize
	users, total, err := s.cfg.Store.ListUsers(c.UserContext(), (page-1)*size, size)
	if err != nil {
		return err
	}
	if page > 1 && (page-1)*size >= total {
		return detail(fiber.StatusNotFound, "Invalid page.")
	}
	results := make([]actors.User, len(users))
	for i, u := range users {
		results[i] = s.view(u)
	}
	link := func(p int) any {
		if p < 1 || (p-1)*size >= total {
			return nil
		}
		if p == 1 {
			return c.BaseURL() + "/api/users/"
		}
		return c.BaseURL() + "/api/users/?page=" + strconv.Itoa(p)
	}
	return c.JSON(fiber.Map{"count": total, "next": link(page + 1), "previous": link(page - 1), "results": results})
}

package actors

import (
	"sort"
	"time"
)

// User is the public profile of an account, in the shape the HTTP API and the
// Socket.IO events share (Django REST Framework's user serializer).
type User struct {
	ID         int64      `json:"id"`
	Username   string     `json:"username"`
	Email      string     `json:"email"`
	IsOnline   bool       `json:"is_online"`
	LastSeen   *time.Time `json:"last_seen"`
	DateJoined time.Time  `json:"date_joined"`
	IsStaff    bool       `json:"is_staff"`
}

// Snapshot is an immutable view of who is online at one version. The presence actor
// publishes a new one after every change; readers never lock.
type Snapshot struct {
	Version uint64
	Users   []User // sorted by ID; IsOnline is true for all
	index   map[int64]int
}

// NewSnapshot builds a snapshot from users (in any order).
func NewSnapshot(version uint64, users []User) *Snapshot {
	sorted := make([]User, len(users))
	copy(sorted, users)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].ID < sorted[j].ID })
	idx := make(map[int64]int, len(sorted))
	for i := range sorted {
		sorted[i].IsOnline = true
		idx[sorted[i].ID] = i
	}
	return &Snapshot{Version: version, Users: sorted, index: idx}
}

// IsOnline reports whether the user is in the snapshot.
func (s *Snapshot) IsOnline(id int64) bool {
	_, ok := s.index[id]
	return ok
}

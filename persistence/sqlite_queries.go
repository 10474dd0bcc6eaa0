package persistence

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// In SQLite, times are INTEGER microseconds since the epoch and booleans INTEGER 0/1.

const sqliteUserColumns = `id, username, email, password_hash, is_online, last_seen, date_joined, is_staff`

type rowScanner interface {
	Scan(dest ...any) error
}

func scanSQLiteUser(r rowScanner) (User, error) {
	var (
		u        User
		lastSeen sql.NullInt64
		joined   int64
	)
	if err := r.Scan(&u.ID, &u.Username, &u.Email, &u.PasswordHash, &u.IsOnline, &lastSeen, &joined, &u.IsStaff); err != nil {
		return User{}, err
	}
	if lastSeen.Valid {
		t := time.UnixMicro(lastSeen.Int64).UTC()
		u.LastSeen = &t
	}
	u.DateJoined = time.UnixMicro(joined).UTC()
	return u, nil
}

func collectSQLiteUsers(rows *sql.Rows) ([]User, error) {
	defer rows.Close()
	users := []User{}
	for rows.Next() {
		u, err := scanSQLiteUser(rows)
		if err != nil {
			return nil, err
		}
		users = append(users, u)
	}
	return users, rows.Err()
}

// CreateUser implements Store.
func (s *SQLiteStore) CreateUser(ctx context.Context, nu NewUser) (User, error) {
	u := User{
		Username:     nu.Username,
		Email:        nu.Email,
		PasswordHash: nu.PasswordHash,
		IsStaff:      nu.IsStaff,
		DateJoined:   storedTime(time.Now()),
	}
	err := s.writer.QueryRowContext(ctx,
		`INSERT INTO users (username, username_key, email, password_hash, is_staff, date_joined)
		 VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		u.Username, UsernameKey(u.Username), u.Email, u.PasswordHash, u.IsStaff, u.DateJoined.UnixMicro(),
	).Scan(&u.ID)
	if isSQLiteUnique(err) {
		return User{}, fmt.Errorf("create user %q: %w", nu.Username, ErrUsernameTaken)
	}
	if err != nil {
		return User{}, fmt.Errorf("create user %q: %w", nu.Username, err)
	}
	return u, nil
}

// UserByID implements Store.
func (s *SQLiteStore) UserByID(ctx context.Context, id int64) (User, error) {
	u, err := scanSQLiteUser(s.reader.QueryRowContext(ctx,
		`SELECT `+sqliteUserColumns+` FROM users WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, fmt.Errorf("user %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return User{}, fmt.Errorf("user %d: %w", id, err)
	}
	return u, nil
}

// UserByUsername implements Store.
func (s *SQLiteStore) UserByUsername(ctx context.Context, username string) (User, error) {
	u, err := scanSQLiteUser(s.reader.QueryRowContext(ctx,
		`SELECT `+sqliteUserColumns+` FROM users WHERE username_key = ?`, UsernameKey(username)))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, fmt.Errorf("user %q: %w", username, ErrNotFound)
	}
	if err != nil {
		return User{}, fmt.Errorf("user %q: %w", username, err)
	}
	return u, nil
}

// UsersByIDs implements Store.
func (s *SQLiteStore) UsersByIDs(ctx context.Context, ids []int64) ([]User, error) {
	if len(ids) == 0 {
		return []User{}, nil
	}
	// One JSON array parameter instead of one "?" per id: no limit on the number of ids.
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, fmt.Errorf("users by ids: %w", err)
	}
	rows, err := s.reader.QueryContext(ctx,
		`SELECT `+sqliteUserColumns+` FROM users
		 WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id`, string(list))
	if err != nil {
		return nil, fmt.Errorf("users by ids: %w", err)
	}
	users, err := collectSQLiteUsers(rows)
	if err != nil {
		return nil, fmt.Errorf("users by ids: %w", err)
	}
	return users, nil
}

// ListUsers implements Store.
func (s *SQLiteStore) ListUsers(ctx context.Context, offset, limit int) ([]User, int, error) {
	if offset < 0 || limit < 0 {
		return nil, 0, fmt.Errorf("list users: negative offset %d or limit %d", offset, limit)
	}
	// One read transaction: the page and the total come from the same snapshot.
	tx, err := s.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, 0, fmt.Errorf("list users: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	var total int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("list users: count: %w", err)
	}
	rows, err := tx.QueryContext(ctx,
		`SELECT `+sqliteUserColumns+` FROM users ORDER BY id LIMIT ? OFFSET ?`, limit, offset)
	if err != nil {
		return nil, 0, fmt.Errorf("list users: %w", err)
	}
	users, err := collectSQLiteUsers(rows)
	if err != nil {
		return nil, 0, fmt.Errorf("list users: %w", err)
	}
	return users, total, nil
}

// ApplyPresence implements Store.
func (s *SQLiteStore) ApplyPresence(ctx context.Context, changes []PresenceChange) error {
	if len(changes) == 0 {
		return nil
	}
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("apply presence: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	stmt, err := tx.PrepareContext(ctx,
		`UPDATE users SET is_online = ?, last_seen = coalesce(?, last_seen) WHERE id = ?`)
	if err != nil {
		return fmt.Errorf("apply presence: %w", err)
	}
	defer stmt.Close()
	for _, u := range coalescePresence(changes) {
		var lastSeen sql.NullInt64
		if u.lastSeen != nil {
			lastSeen = sql.NullInt64{Int64: u.lastSeen.UnixMicro(), Valid: true}
		}
		if _, err := stmt.ExecContext(ctx, u.online, lastSeen, u.userID); err != nil {
			return fmt.Errorf("apply presence: user %d: %w", u.userID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("apply presence: commit: %w", err)
	}
	return nil
}

// MarkAllOffline implements Store.
func (s *SQLiteStore) MarkAllOffline(ctx context.Context, at time.Time) (int64, error) {
	res, err := s.writer.ExecContext(ctx,
		`UPDATE users SET is_online = 0, last_seen = ? WHERE is_online = 1`, storedTime(at).UnixMicro())
	if err != nil {
		return 0, fmt.Errorf("mark all offline: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("mark all offline: %w", err)
	}
	return n, nil
}

// RevokeToken implements Store.
func (s *SQLiteStore) RevokeToken(ctx context.Context, t RevokedToken) error {
	if t.JTI == "" {
		return errors.New("revoke token: empty jti")
	}
	_, err := s.writer.ExecContext(ctx,
		`INSERT INTO revoked_tokens (jti, expires_at) VALUES (?, ?)
		 ON CONFLICT (jti) DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)`,
		t.JTI, storedTime(t.ExpiresAt).UnixMicro())
	if err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	return nil
}

// RevokedTokens implements Store.
func (s *SQLiteStore) RevokedTokens(ctx context.Context, now time.Time) ([]RevokedToken, error) {
	rows, err := s.reader.QueryContext(ctx,
		`SELECT jti, expires_at FROM revoked_tokens WHERE expires_at > ? ORDER BY expires_at, jti`,
		storedTime(now).UnixMicro())
	if err != nil {
		return nil, fmt.Errorf("revoked tokens: %w", err)
	}
	defer rows.Close()
	out := []RevokedToken{}
	for rows.Next() {
		var (
			t   RevokedToken
			exp int64
		)
		if err := rows.Scan(&t.JTI, &exp); err != nil {
			return nil, fmt.Errorf("revoked tokens: %w", err)
		}
		t.ExpiresAt = time.UnixMicro(exp).UTC()
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("revoked tokens: %w", err)
	}
	return out, nil
}

// PurgeRevokedTokens implements Store.
func (s *SQLiteStore) PurgeRevokedTokens(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.writer.ExecContext(ctx,
		`DELETE FROM revoked_tokens WHERE expires_at <= ?`, storedTime(now).UnixMicro())
	if err != nil {
		return 0, fmt.Errorf("purge revoked tokens: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("purge revoked tokens: %w", err)
	}
	return n, nil
}

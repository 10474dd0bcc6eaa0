package persistence

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

const pgUserColumns = `id, username, email, password_hash, is_online, last_seen, date_joined, is_staff`

func scanPGUser(r pgx.Row) (User, error) {
	var u User
	if err := r.Scan(&u.ID, &u.Username, &u.Email, &u.PasswordHash, &u.IsOnline, &u.LastSeen, &u.DateJoined, &u.IsStaff); err != nil {
		return User{}, err
	}
	// pgx returns timestamptz in the local zone.
	if u.LastSeen != nil {
		t := u.LastSeen.UTC()
		u.LastSeen = &t
	}
	u.DateJoined = u.DateJoined.UTC()
	return u, nil
}

func collectPGUsers(rows pgx.Rows) ([]User, error) {
	users, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (User, error) { return scanPGUser(r) })
	if err != nil {
		return nil, err
	}
	if users == nil {
		users = []User{}
	}
	return users, nil
}

// CreateUser implements Store.
func (s *PostgresStore) CreateUser(ctx context.Context, nu NewUser) (User, error) {
	u := User{
		Username:     nu.Username,
		Email:        nu.Email,
		PasswordHash: nu.PasswordHash,
		IsStaff:      nu.IsStaff,
		DateJoined:   storedTime(time.Now()),
	}
	err := s.pool.QueryRow(ctx,
		`INSERT INTO users (username, username_key, email, password_hash, is_staff, date_joined)
		 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		u.Username, UsernameKey(u.Username), u.Email, u.PasswordHash, u.IsStaff, u.DateJoined,
	).Scan(&u.ID)
	if isPGUnique(err) {
		return User{}, fmt.Errorf("create user %q: %w", nu.Username, ErrUsernameTaken)
	}
	if err != nil {
		return User{}, fmt.Errorf("create user %q: %w", nu.Username, err)
	}
	return u, nil
}

// UserByID implements Store.
func (s *PostgresStore) UserByID(ctx context.Context, id int64) (User, error) {
	u, err := scanPGUser(s.pool.QueryRow(ctx, `SELECT `+pgUserColumns+` FROM users WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, fmt.Errorf("user %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return User{}, fmt.Errorf("user %d: %w", id, err)
	}
	return u, nil
}

// UserByUsername implements Store.
func (s *PostgresStore) UserByUsername(ctx context.Context, username string) (User, error) {
	u, err := scanPGUser(s.pool.QueryRow(ctx,
		`SELECT `+pgUserColumns+` FROM users WHERE username_key = $1`, UsernameKey(username)))
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, fmt.Errorf("user %q: %w", username, ErrNotFound)
	}
	if err != nil {
		return User{}, fmt.Errorf("user %q: %w", username, err)
	}
	return u, nil
}

// UsersByIDs implements Store.
func (s *PostgresStore) UsersByIDs(ctx context.Context, ids []int64) ([]User, error) {
	if len(ids) == 0 {
		return []User{}, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT `+pgUserColumns+` FROM users WHERE id = ANY($1) ORDER BY id`, ids)
	if err != nil {
		return nil, fmt.Errorf("users by ids: %w", err)
	}
	users, err := collectPGUsers(rows)
	if err != nil {
		return nil, fmt.Errorf("users by ids: %w", err)
	}
	return users, nil
}

// ListUsers implements Store.
func (s *PostgresStore) ListUsers(ctx context.Context, offset, limit int) ([]User, int, error) {
	if offset < 0 || limit < 0 {
		return nil, 0, fmt.Errorf("list users: negative offset %d or limit %d", offset, limit)
	}
	var (
		users []User
		total int
	)
	// REPEATABLE READ: the page and the total come from the same snapshot.
	opts := pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	err := pgx.BeginTxFunc(ctx, s.pool, opts, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM users`).Scan(&total); err != nil {
			return fmt.Errorf("count: %w", err)
		}
		rows, err := tx.Query(ctx, `SELECT `+pgUserColumns+` FROM users ORDER BY id LIMIT $1 OFFSET $2`,
			int64(limit), int64(offset))
		if err != nil {
			return err
		}
		users, err = collectPGUsers(rows)
		return err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("list users: %w", err)
	}
	return users, total, nil
}

// ApplyPresence implements Store: one round trip, in one transaction.
func (s *PostgresStore) ApplyPresence(ctx context.Context, changes []PresenceChange) error {
	if len(changes) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	for _, u := range coalescePresence(changes) {
		b.Queue(`UPDATE users SET is_online = $2, last_seen = coalesce($3, last_seen) WHERE id = $1`,
			u.userID, u.online, u.lastSeen)
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return fmt.Errorf("apply presence: %w", err)
	}
	return nil
}

// MarkAllOffline implements Store.
func (s *PostgresStore) MarkAllOffline(ctx context.Context, at time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx,
		`UPDATE users SET is_online = FALSE, last_seen = $1 WHERE is_online`, storedTime(at))
	if err != nil {
		return 0, fmt.Errorf("mark all offline: %w", err)
	}
	return tag.RowsAffected(), nil
}

// RevokeToken implements Store.
func (s *PostgresStore) RevokeToken(ctx context.Context, t RevokedToken) error {
	if t.JTI == "" {
		return errors.New("revoke token: empty jti")
	}
	_, err := s.pool.Exec(ctx,
		`INSERT INTO revoked_tokens (jti, expires_at) VALUES ($1, $2)
		 ON CONFLICT (jti) DO UPDATE SET expires_at = greatest(revoked_tokens.expires_at, excluded.expires_at)`,
		t.JTI, storedTime(t.ExpiresAt))
	if err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	return nil
}

// RevokedTokens implements Store.
func (s *PostgresStore) RevokedTokens(ctx context.Context, now time.Time) ([]RevokedToken, error) {
	rows, err := s.pool.Query(ctx,
		`SELECT jti, expires_at FROM revoked_tokens WHERE expires_at > $1 ORDER BY expires_at, jti`,
		storedTime(now))
	if err != nil {
		return nil, fmt.Errorf("revoked tokens: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (RevokedToken, error) {
		var t RevokedToken
		err := r.Scan(&t.JTI, &t.ExpiresAt)
		t.ExpiresAt = t.ExpiresAt.UTC()
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("revoked tokens: %w", err)
	}
	if out == nil {
		out = []RevokedToken{}
	}
	return out, nil
}

// PurgeRevokedTokens implements Store.
func (s *PostgresStore) PurgeRevokedTokens(ctx context.Context, now time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM revoked_tokens WHERE expires_at <= $1`, storedTime(now))
	if err != nil {
		return 0, fmt.Errorf("purge revoked tokens: %w", err)
	}
	return tag.RowsAffected(), nil
}

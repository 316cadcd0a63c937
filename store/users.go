package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
)

// AddUser records a user; a taken name is ErrDuplicate.
func (s *Store) AddUser(ctx context.Context, id, name string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO users(id, name) VALUES(?, ?)`, id, name)
	if err != nil && strings.Contains(err.Error(), "UNIQUE") {
		return ErrDuplicate
	}
	return err
}

// Users maps user ids to names.
func (s *Store) Users(ctx context.Context) (map[string]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, name FROM users ORDER BY rowid`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		out[id] = name
	}
	return out, rows.Err()
}

// Settings returns a user's encoded settings object, nil when none.
func (s *Store) Settings(ctx context.Context, user string) ([]byte, error) {
	var data []byte
	err := s.db.QueryRowContext(ctx, `SELECT data FROM settings WHERE user = ?`, user).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return data, err
}

// SetSettings replaces a user's encoded settings object.
func (s *Store) SetSettings(ctx context.Context, user string, data []byte) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO settings(user, data) VALUES(?, ?)
		ON CONFLICT(user) DO UPDATE SET data = excluded.data`, user, data)
	return err
}

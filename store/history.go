package store

import (
	"context"
	"database/sql"
	"errors"
)

// HistoryRecord is one finished prompt: Entry is the /history entry and
// Job the precomputed /api/jobs summary, both encoded by the server.
type HistoryRecord struct {
	PromptID string
	Entry    []byte
	Job      []byte
}

// HistoryCount returns the number of entries.
func (s *Store) HistoryCount(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM history`).Scan(&n)
	return n, err
}

// History returns entries in completion order, skipping offset and
// returning at most limit (limit < 0: all).
func (s *Store) History(ctx context.Context, offset, limit int) ([]HistoryRecord, error) {
	return s.history(ctx, `SELECT prompt_id, entry, x'' FROM history ORDER BY seq LIMIT ? OFFSET ?`, limit, offset)
}

// HistoryJobs returns every entry's job summary in completion order.
func (s *Store) HistoryJobs(ctx context.Context) ([]HistoryRecord, error) {
	return s.history(ctx, `SELECT prompt_id, x'', job FROM history ORDER BY seq`)
}

func (s *Store) history(ctx context.Context, q string, args ...any) ([]HistoryRecord, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []HistoryRecord
	for rows.Next() {
		var r HistoryRecord
		if err := rows.Scan(&r.PromptID, &r.Entry, &r.Job); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// HistoryGet returns one entry, ok false when unknown.
func (s *Store) HistoryGet(ctx context.Context, promptID string) (rec HistoryRecord, ok bool, err error) {
	rec.PromptID = promptID
	err = s.db.QueryRowContext(ctx, `SELECT entry, job FROM history WHERE prompt_id = ?`, promptID).Scan(&rec.Entry, &rec.Job)
	if errors.Is(err, sql.ErrNoRows) {
		return rec, false, nil
	}
	return rec, err == nil, err
}

// HistoryDelete removes entries by prompt id; unknown ids are ignored.
func (s *Store) HistoryDelete(ctx context.Context, promptIDs ...string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, id := range promptIDs {
		if _, err := tx.ExecContext(ctx, `DELETE FROM history WHERE prompt_id = ?`, id); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// HistoryClear removes every entry.
func (s *Store) HistoryClear(ctx context.Context) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM history`)
	return err
}

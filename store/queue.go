package store

import (
	"context"
	"database/sql"
)

// QueueRow is one queued prompt. Item is the server's encoded queue item.
type QueueRow struct {
	ID       int64
	PromptID string
	Number   float64
	Item     []byte
	Running  bool
	// Attempts counts the runs started and not finished cleanly: a crash
	// while running leaves it raised.
	Attempts int
}

// Enqueue commits a new pending prompt and returns its row id.
func (s *Store) Enqueue(ctx context.Context, promptID string, number float64, item []byte) (int64, error) {
	res, err := s.db.ExecContext(ctx, `INSERT INTO queue(prompt_id, number, item) VALUES(?, ?, ?)`, promptID, number, item)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// Queue lists every queued row: the running ones first (a crash may leave
// one marked running), then the pending ones by number, prompt id and
// insertion order, i.e. the order they must run in.
func (s *Store) Queue(ctx context.Context) ([]QueueRow, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, prompt_id, number, item, running, attempts FROM queue
		ORDER BY running DESC, number, prompt_id, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []QueueRow
	for rows.Next() {
		var r QueueRow
		if err := rows.Scan(&r.ID, &r.PromptID, &r.Number, &r.Item, &r.Running, &r.Attempts); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// MarkRunning records that the worker took a row and counts the attempt.
func (s *Store) MarkRunning(ctx context.Context, id int64) error {
	_, err := s.db.ExecContext(ctx, `UPDATE queue SET running = 1, attempts = attempts + 1 WHERE id = ?`, id)
	return err
}

// Unwind takes back the attempt of a run stopped by a clean shutdown: the
// row stays running (it runs first at the next start) but the stop is not
// held against it.
func (s *Store) Unwind(ctx context.Context, id int64) error {
	_, err := s.db.ExecContext(ctx, `UPDATE queue SET attempts = max(attempts - 1, 0) WHERE id = ?`, id)
	return err
}

// Dequeue removes rows (deleted or cleared pending prompts).
func (s *Store) Dequeue(ctx context.Context, ids ...int64) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, `DELETE FROM queue WHERE id = ?`, id); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// Finish removes a finished row and writes its history entry in one
// transaction, so a crash either re-runs the prompt or keeps its history,
// never both and never neither.
func (s *Store) Finish(ctx context.Context, id int64, h HistoryRecord) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM queue WHERE id = ?`, id); err != nil {
		return err
	}
	if err := s.insertHistory(ctx, tx, h); err != nil {
		return err
	}
	return tx.Commit()
}

func (s *Store) insertHistory(ctx context.Context, tx *sql.Tx, h HistoryRecord) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM history`).Scan(&n); err != nil {
		return err
	}
	if n > s.HistoryCap {
		if _, err := tx.ExecContext(ctx, `DELETE FROM history WHERE seq = (SELECT min(seq) FROM history)`); err != nil {
			return err
		}
	}
	// A repeated prompt id keeps its place, as a Python dict assignment does.
	_, err := tx.ExecContext(ctx, `INSERT INTO history(prompt_id, entry, job) VALUES(?, ?, ?)
		ON CONFLICT(prompt_id) DO UPDATE SET entry = excluded.entry, job = excluded.job`, h.PromptID, h.Entry, h.Job)
	return err
}

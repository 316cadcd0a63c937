// Package store is comfyd's durable state in one SQLite file (pure Go
// driver modernc.org/sqlite, WAL mode): the prompt queue, the history, users
// and per-user settings. It stores bytes the server encodes; it knows
// nothing of the wire format beyond a few columns it orders and filters by.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite" // database/sql driver "sqlite"
)

// MaximumHistorySize is ComfyUI's MAXIMUM_HISTORY_SIZE.
const MaximumHistorySize = 10000

// ErrDuplicate is returned when a unique name is taken.
var ErrDuplicate = errors.New("duplicate")

// Store is an open database. Its methods are safe for concurrent use.
type Store struct {
	db *sql.DB
	// HistoryCap is the history size above which the oldest entry is
	// dropped before an insert (ComfyUI keeps at most cap+1 entries).
	HistoryCap int
}

const schema = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS queue (
	id        INTEGER PRIMARY KEY AUTOINCREMENT,
	prompt_id TEXT    NOT NULL,
	number    REAL    NOT NULL,
	item      BLOB    NOT NULL,
	running   INTEGER NOT NULL DEFAULT 0,
	attempts  INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS history (
	seq       INTEGER PRIMARY KEY AUTOINCREMENT,
	prompt_id TEXT    NOT NULL UNIQUE,
	entry     BLOB    NOT NULL,
	job       BLOB    NOT NULL
);
CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS settings (user TEXT PRIMARY KEY, data BLOB NOT NULL);
`

// Open opens (creating if needed) the database at path.
func Open(path string) (*Store, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
	}
	// synchronous(NORMAL) in WAL mode: a commit is in the WAL before
	// Exec returns, so it survives a process crash (kill -9); only an OS
	// crash can lose the last commits.
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(NORMAL)", "foreign_keys(ON)"} {
		q.Add("_pragma", p)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: creating schema in %s: %w", path, err)
	}
	if err := migrate(db); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: migrating %s: %w", path, err)
	}
	return &Store{db: db, HistoryCap: MaximumHistorySize}, nil
}

// Close checkpoints the WAL and closes the database.
func (s *Store) Close() error {
	_, _ = s.db.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	return s.db.Close()
}

// NextNumber returns the next server-assigned prompt number and advances
// the persisted counter, so numbers keep increasing across restarts.
func (s *Store) NextNumber(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, `INSERT INTO meta(key, value) VALUES('counter', 1)
		ON CONFLICT(key) DO UPDATE SET value = value + 1 RETURNING value - 1`).Scan(&n)
	return n, err
}

// migrate brings databases of earlier builds to the current schema.
func migrate(db *sql.DB) error {
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM pragma_table_info('queue') WHERE name = 'attempts'`).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		_, err := db.Exec(`ALTER TABLE queue ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0`)
		return err
	}
	return nil
}

package store

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
)

func open(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestQueueSurvivesReopen: rows added and not finished come back after a
// reopen, the one marked running first, the rest by number; a finished
// row is gone from the queue and present in history, once.
func TestQueueSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "q.db")
	s := open(t, path)
	ids := map[string]int64{}
	for _, p := range []struct {
		id  string
		num float64
	}{{"a", 1}, {"b", 2}, {"c", -3}, {"d", 2}} {
		id, err := s.Enqueue(ctx, p.id, p.num, []byte(`"`+p.id+`"`))
		if err != nil {
			t.Fatal(err)
		}
		ids[p.id] = id
	}
	if err := s.MarkRunning(ctx, ids["b"]); err != nil {
		t.Fatal(err)
	}
	if err := s.Finish(ctx, ids["a"], HistoryRecord{PromptID: "a", Entry: []byte(`{}`), Job: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	n1, _ := s.NextNumber(ctx)
	n2, _ := s.NextNumber(ctx)
	s.Close()

	s = open(t, path)
	defer s.Close()
	rows, err := s.Queue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, r.PromptID)
	}
	if want := []string{"b", "c", "d"}; !reflect.DeepEqual(got, want) {
		t.Errorf("queue after reopen %v, want %v", got, want)
	}
	if !rows[0].Running || rows[1].Running {
		t.Errorf("running flags %+v", rows)
	}
	if n, _ := s.HistoryCount(ctx); n != 1 {
		t.Errorf("history count %d", n)
	}
	if n3, _ := s.NextNumber(ctx); n1 != 0 || n2 != 1 || n3 != 2 {
		t.Errorf("counter %d %d %d", n1, n2, n3)
	}
}

func TestHistoryCapAndOrder(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "h.db"))
	defer s.Close()
	s.HistoryCap = 3
	for i := 0; i < 6; i++ {
		id, _ := s.Enqueue(ctx, fmt.Sprint(i), float64(i), []byte(`[]`))
		if err := s.Finish(ctx, id, HistoryRecord{PromptID: fmt.Sprint(i), Entry: []byte(fmt.Sprint(i)), Job: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	// ComfyUI drops the oldest only while more than the cap are stored.
	recs, _ := s.History(ctx, 0, -1)
	var got []string
	for _, r := range recs {
		got = append(got, r.PromptID)
	}
	if want := []string{"2", "3", "4", "5"}; !reflect.DeepEqual(got, want) {
		t.Errorf("history %v, want %v", got, want)
	}
	// A repeated prompt id keeps its position and takes the new entry;
	// as in Python, the oldest is still dropped first ("2").
	id, _ := s.Enqueue(ctx, "3", 9, []byte(`[]`))
	s.Finish(ctx, id, HistoryRecord{PromptID: "3", Entry: []byte(`"new"`), Job: []byte(`{}`)})
	recs, _ = s.History(ctx, 0, 2)
	if len(recs) != 2 || recs[0].PromptID != "3" || string(recs[0].Entry) != `"new"` || recs[1].PromptID != "4" {
		t.Errorf("page %+v", recs)
	}
	s.HistoryDelete(ctx, "5", "nope")
	if _, ok, _ := s.HistoryGet(ctx, "5"); ok {
		t.Error("deleted entry still there")
	}
	s.HistoryClear(ctx)
	if n, _ := s.HistoryCount(ctx); n != 0 {
		t.Errorf("after clear %d", n)
	}
}

func TestUsersAndSettings(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "u.db"))
	defer s.Close()
	if err := s.AddUser(ctx, "a_1", "a"); err != nil {
		t.Fatal(err)
	}
	if err := s.AddUser(ctx, "a_2", "a"); err != ErrDuplicate {
		t.Errorf("duplicate name: %v", err)
	}
	if got, _ := s.Settings(ctx, "default"); got != nil {
		t.Errorf("settings of a new user %s", got)
	}
	s.SetSettings(ctx, "default", []byte(`{"x":1}`))
	s.SetSettings(ctx, "default", []byte(`{"x":2}`))
	if got, _ := s.Settings(ctx, "default"); string(got) != `{"x":2}` {
		t.Errorf("settings %s", got)
	}
}

func TestAttemptsAndMigration(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	// A database of an earlier build: queue without the attempts column.
	old := open(t, path)
	if _, err := old.db.Exec(`DROP TABLE queue; CREATE TABLE queue (id INTEGER PRIMARY KEY AUTOINCREMENT,
		prompt_id TEXT NOT NULL, number REAL NOT NULL, item BLOB NOT NULL, running INTEGER NOT NULL DEFAULT 0);
		INSERT INTO queue(prompt_id, number, item) VALUES('x', 1, '[]')`); err != nil {
		t.Fatal(err)
	}
	old.Close()
	s := open(t, path)
	defer s.Close()
	rows, err := s.Queue(ctx)
	if err != nil || len(rows) != 1 || rows[0].Attempts != 0 {
		t.Fatalf("migrated rows %+v %v", rows, err)
	}
	s.MarkRunning(ctx, rows[0].ID)
	s.MarkRunning(ctx, rows[0].ID)
	s.Unwind(ctx, rows[0].ID)
	rows, _ = s.Queue(ctx)
	if rows[0].Attempts != 1 || !rows[0].Running {
		t.Errorf("after two starts and an unwind %+v", rows[0])
	}
}

package server

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// historyKeys returns the ids of a /history answer in their JSON order.
func historyKeys(t *testing.T, body []byte) []string {
	t.Helper()
	o := newOrderedObject()
	if err := o.UnmarshalJSON(body); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	return o.keys
}

func TestHistoryPagingAndCap(t *testing.T) {
	ts := newTestServer(t)
	ts.store.HistoryCap = 4
	var ids []string
	for i := 0; i < 7; i++ {
		id := fmt.Sprintf("p%d", i)
		ts.queuePrompt(t, map[string]any{"prompt": outPrompt(fmt.Sprint(i)), "prompt_id": id})
		ts.waitHistory(t, id)
		ids = append(ids, id)
	}
	// Capped as ComfyUI: the oldest is dropped while more than cap remain,
	// so cap+1 entries stay.
	kept := ids[2:]
	cases := []struct {
		query string
		want  []string
	}{
		{"", kept},
		{"?max_items=2", kept[3:]},
		{"?max_items=10", kept},
		{"?max_items=2&offset=1", kept[1:3]},
		{"?offset=3", kept[3:]},
		{"?max_items=0", nil},
		{"?max_items=0&offset=0", kept[:1]},
		{"?offset=99", nil},
	}
	for _, c := range cases {
		_, body := ts.get(t, "/history"+c.query)
		if got := historyKeys(t, body); !reflect.DeepEqual(got, c.want) && !(len(got) == 0 && len(c.want) == 0) {
			t.Errorf("/history%s = %v, want %v", c.query, got, c.want)
		}
	}
	// Entry shape (spec 5.2), keys in ComfyUI's order.
	_, body := ts.get(t, "/history/p6")
	want := `{"p6": {"prompt":[6,"p6",{"6":{"class_type":"Out","inputs":{}}},{"create_time":`
	if !strings.HasPrefix(string(body), want) {
		t.Errorf("entry %s", body)
	}
	for _, part := range []string{
		`},["6"]],"outputs":{"6":{"images":[{"filename":"6.png","subfolder":"","type":"output"}]}},"status":{"status_str":"success","completed":true,"messages":[["execution_start",{"prompt_id":"p6","timestamp":`,
		`"meta":{"6":{"node_id":"6","display_node":"6","parent_node":null,"real_node_id":"6"}}}}`,
	} {
		if !strings.Contains(string(body), part) {
			t.Errorf("entry %s lacks %s", body, part)
		}
	}
	var e map[string]map[string]any
	json.Unmarshal(body, &e)
	msgs := e["p6"]["status"].(map[string]any)["messages"].([]any)
	var names []string
	for _, m := range msgs {
		names = append(names, m.([]any)[0].(string))
	}
	if !reflect.DeepEqual(names, []string{"execution_start", "execution_cached", "execution_success"}) {
		t.Errorf("messages %v", names)
	}
	// Delete and clear.
	ts.postJSON(t, "/history", map[string]any{"delete": []string{"p6"}})
	if _, body := ts.get(t, "/history/p6"); string(body) != "{}" {
		t.Errorf("after delete %s", body)
	}
	ts.postJSON(t, "/history", map[string]any{"clear": true})
	if _, body := ts.get(t, "/history"); string(body) != "{}" {
		t.Errorf("after clear %s", body)
	}
}

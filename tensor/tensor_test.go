package tensor

import "testing"

func TestNewCloneRow(t *testing.T) {
	a := New(2, 3)
	if a.Numel() != 6 || a.Dim(-1) != 3 || !a.IsZero() {
		t.Fatalf("bad new tensor %v", a)
	}
	a.Data[4] = 5
	b := a.Clone()
	b.Data[4] = 1
	if a.Data[4] != 5 {
		t.Fatal("clone shares memory")
	}
	r := a.Row(1)
	if !EqualShape(r.Shape, []int{3}) || r.Data[1] != 5 {
		t.Fatalf("row wrong: %v %v", r, r.Data)
	}
	if a.IsZero() || a.String() != "tensor[2,3]" {
		t.Fatal("IsZero/String wrong")
	}
}

func TestFromDataPanicsOnMismatch(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("expected panic")
		}
	}()
	FromData(make([]float32, 5), 2, 3)
}

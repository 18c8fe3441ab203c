package rawjson

import (
	"encoding/json"
	"testing"
)

func TestChecked(t *testing.T) {
	var p Pool
	values := map[string]any{}
	for i := range 40 {
		values[string(rune('a'+i))] = p.New([]byte(`[1,2]`))
	}
	values["nil"] = Checked(nil)
	data, err := json.Marshal(map[string]any{"x": values["a"], "n": values["nil"]})
	if err != nil || string(data) != `{"n":null,"x":[1,2]}` {
		t.Fatalf("Marshal = %s, %v", data, err)
	}
	if *values["a"].(*Checked) == nil || string(*values["z"].(*Checked)) != "[1,2]" {
		t.Error("pool values lost")
	}
	keys := make([]string, 16)
	for i := range keys {
		keys[i] = string(rune('a' + i))
	}
	value := []byte("1")
	pooled := testing.AllocsPerRun(100, func() {
		var p Pool
		m := make(map[string]any, 16)
		for _, k := range keys {
			m[k] = p.New(value)
		}
	})
	boxed := testing.AllocsPerRun(100, func() {
		m := make(map[string]any, 16)
		for _, k := range keys {
			m[k] = Checked(value)
		}
	})
	if pooled > boxed-15 {
		t.Errorf("16 pooled values cost %v allocations, boxed ones %v: want 15 fewer", pooled, boxed)
	}
}

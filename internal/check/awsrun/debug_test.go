package awsrun

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"
)

func TestDebugAWS(t *testing.T) {
	dir := os.Getenv("AWSDIR")
	if dir == "" {
		return
	}
	set, err := Load(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range set.Objects {
		ex, _ := o.Vars["exposure"].([]any)
		b, _ := json.Marshal(o.Data)
		fmt.Println(o.Type, o.Name, o.Location, len(ex), o.Unknown, string(b)[:min(200, len(b))])
		for _, r := range ex {
			m := r.(map[string]any)
			if m["verdict"] != "not_exposed" {
				fmt.Println("   ", m["protocol"], m["from_port"], m["to_port"], m["verdict"], m["sources"], m["missing"])
			}
		}
	}
	for _, g := range set.Gaps {
		fmt.Println("GAP", g)
	}
}

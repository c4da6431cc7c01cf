package terraform

import (
	"context"
	"fmt"
	"os"
	"testing"
)

func TestDebugELB(t *testing.T) {
	p := os.Getenv("TFPLAN")
	if p == "" {
		return
	}
	set, err := LoadPlan(context.Background(), p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range set.Objects {
		if o.Type != "aws_elb" && o.Name != "aws_instance.web_host" {
			continue
		}
		for _, r := range o.Vars["exposure"].([]any) {
			m := r.(map[string]any)
			if m["verdict"] != "not_exposed" || m["via"] != "" || o.Type == "aws_elb" {
				fmt.Println(o.Name, m["resource"], m["protocol"], m["from_port"], m["to_port"], m["verdict"], m["via"], m["sources"], m["missing"], m["blocked_by"])
			}
		}
	}
}

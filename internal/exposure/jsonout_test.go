package exposure

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/sightline-sec/sightline/internal/workload"
	"testing"
)

// encodingJSON is the reference: the document the CLI printed with
// encoding/json before WriteJSON.
func encodingJSON(rep *Report) []byte {
	var bw bytes.Buffer
	fmt.Fprintf(&bw, "{\n  \"schema\": %q,\n  \"results\": [", rep.Schema)
	enc := json.NewEncoder(&bw)
	enc.SetEscapeHTML(false)
	for i := range rep.Results {
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n    ")
		if err := enc.Encode(&rep.Results[i]); err != nil {
			panic(err)
		}
	}
	bw.WriteString("\n  ],\n  \"gaps\": [")
	for i := range rep.Gaps {
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n    ")
		if err := enc.Encode(&rep.Gaps[i]); err != nil {
			panic(err)
		}
		bw.Truncate(bw.Len() - 1)
	}
	bw.WriteString("\n  ]\n}\n")
	return bw.Bytes()
}

func resultFrom(strs []string, a, b int, flags uint8) Result {
	at := func(i int) string { return strs[i%len(strs)] }
	r := Result{Resource: at(0), ResourceType: at(1), Protocol: at(2), FromPort: a, ToPort: b, Verdict: at(3)}
	if flags&1 != 0 {
		r.Account, r.Region = at(4), at(5)
	}
	if flags&2 != 0 {
		r.Sources = []string{at(6), at(7)}
	} else if flags&4 != 0 {
		r.Sources = []string{}
	}
	if flags&8 != 0 {
		r.Width, r.Via = at(8), at(9)
	}
	if flags&16 != 0 {
		r.Path = []Hop{{Kind: at(10), ID: at(11), Detail: at(12)}, {}}
	} else if flags&32 != 0 {
		r.Path = []Hop{}
	}
	if flags&64 != 0 {
		r.BlockedBy = &Hop{Kind: at(13), ID: at(14), Detail: at(15)}
		if a%2 == 1 {
			r.BlockedByAll = []Hop{*r.BlockedBy, {Kind: at(10), ID: at(11), Detail: at(12)}}
		}
	}
	if flags&128 != 0 {
		r.Missing = []string{at(16)}
	}
	return r
}

func TestAppendResultMatchesEncodingJSON(t *testing.T) {
	strs := []string{"eni-0abc", "", "tcp", "exposed", "111122223333", "eu-west-1", "0.0.0.0/0", "::/0",
		"wide", "arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/app/a/b", "security_group",
		`quote " backslash \ tab	nl
cr` + "\r", "<html> & 'x'", "caf\xc3\xa9 \xff\xfe invalid", "\u2028\u2029 line seps", "\x00\x01\x1f\x7f\b\f",
		"emoji 😀", "sg-1: no rule admits tcp/22 from 203.0.113.9"}
	rep := &Report{Schema: Schema}
	for f := 0; f < 256; f++ {
		rot := append(append([]string{}, strs[f%len(strs):]...), strs[:f%len(strs)]...)
		rep.Results = append(rep.Results, resultFrom(rot, f*257, -f, uint8(f)))
	}
	var got bytes.Buffer
	if err := WriteJSON(&got, rep); err != nil {
		t.Fatal(err)
	}
	if want := encodingJSON(rep); !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("WriteJSON differs from encoding/json:\n%s\nwant\n%s", got.Bytes(), want)
	}
	var empty bytes.Buffer
	WriteJSON(&empty, &Report{Schema: Schema, Results: []Result{}})
	if want := encodingJSON(&Report{Schema: Schema}); !bytes.Equal(empty.Bytes(), want) {
		t.Fatalf("empty report %q, want %q", empty.Bytes(), want)
	}
}

func FuzzAppendResult(f *testing.F) {
	f.Add("eni-1", "tcp", "a\"b\\c\u2028", "\xff", 0, 65535, uint8(255))
	f.Add("", "", "", "", -1, 1<<40, uint8(0))
	f.Fuzz(func(t *testing.T, a, b, c, d string, lo, hi int, flags uint8) {
		rep := &Report{Schema: Schema, Results: []Result{resultFrom([]string{a, b, c, d, c + a, b + d}, lo, hi, flags)}}
		var got bytes.Buffer
		if err := WriteJSON(&got, rep); err != nil {
			t.Fatal(err)
		}
		if want := encodingJSON(rep); !bytes.Equal(got.Bytes(), want) {
			t.Fatalf("differs:\n%q\nwant\n%q", got.Bytes(), want)
		}
	})
}

// The exposure document carries the workload sources' gaps, as the
// inventory document does: "gaps" is always an array, and decodes to the
// gaps written.
func TestWriteJSONGaps(t *testing.T) {
	gaps := []workload.Gap{{Source: workload.SourceECS, What: "ecs/describe-tasks of ECS cluster prod", Reason: "a \"quoted\" <reason>", Input: "/snap/1/eu-west-1"},
		{Source: workload.SourceKubernetes, What: "list pods", Reason: "forbidden"}}
	for _, c := range []struct {
		gaps []workload.Gap
		want int
	}{{nil, 0}, {gaps, 2}} {
		var b bytes.Buffer
		rep := &Report{Schema: Schema, Results: []Result{resultFrom([]string{"eni-1", "tcp"}, 1, 2, 3)}, Gaps: c.gaps}
		if err := WriteJSON(&b, rep); err != nil {
			t.Fatal(err)
		}
		var got struct {
			Schema  string          `json:"schema"`
			Results []Result        `json:"results"`
			Gaps    *[]workload.Gap `json:"gaps"`
		}
		if err := json.Unmarshal(b.Bytes(), &got); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, b.Bytes())
		}
		if got.Gaps == nil || len(*got.Gaps) != c.want || len(got.Results) != 1 {
			t.Fatalf("gaps %v, want %d; results %d:\n%s", got.Gaps, c.want, len(got.Results), b.Bytes())
		}
		for i := range c.gaps {
			if (*got.Gaps)[i] != c.gaps[i] {
				t.Errorf("gap %d: %+v, want %+v", i, (*got.Gaps)[i], c.gaps[i])
			}
		}
		if want := encodingJSON(rep); !bytes.Equal(b.Bytes(), want) {
			t.Errorf("differs from encoding/json:\n%s\nwant\n%s", b.Bytes(), want)
		}
	}
}

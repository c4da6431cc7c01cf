package terraform

import (
	"github.com/sightline-sec/sightline/internal/check"
)

// linkBuckets gives every aws_s3_bucket the aws_s3_bucket_public_access_block
// that names it, in Vars.public_access_block (its arguments, or null when
// there is none) and Vars.public_access_block_address: a rule about a
// bucket needs the separate resource that configures it. A block whose
// bucket is unknown and cannot be followed may be any bucket's, so the
// buckets without a block of their own get an unknown
// vars.public_access_block, never a pass or a finding.
func linkBuckets(set *check.Set, refs map[string]map[string]string) {
	type block struct {
		o      *check.Object
		target string // bucket address, or "" when only the name is known
		name   string
	}
	var blocks []block
	var unresolved []string
	for i := range set.Objects {
		o := &set.Objects[i]
		if o.Type != "aws_s3_bucket_public_access_block" {
			continue
		}
		b := block{o: o}
		if r := refs[o.Name]["bucket"]; r != "" {
			b.target, _ = splitRef(r)
		} else if s, ok := o.Data["bucket"].(string); ok {
			b.name = s
		} else {
			unresolved = append(unresolved, o.Name)
			continue
		}
		blocks = append(blocks, b)
	}
	for i := range set.Objects {
		o := &set.Objects[i]
		if o.Type != "aws_s3_bucket" {
			continue
		}
		if o.Vars == nil {
			o.Vars = map[string]any{}
		}
		name, _ := o.Data["bucket"].(string)
		var found *block
		for j := range blocks {
			if blocks[j].target == o.Name || (blocks[j].name != "" && blocks[j].name == name) {
				found = &blocks[j]
				break
			}
		}
		switch {
		case found != nil:
			o.Vars["public_access_block"] = found.o.Data
			o.Vars["public_access_block_address"] = found.o.Name
			for _, u := range found.o.Unknown {
				if u != "bucket" { // resolved through the reference
					o.Unknown = append(o.Unknown, "vars.public_access_block."+u)
				}
			}
		case len(unresolved) > 0:
			o.Vars["public_access_block"] = nil
			o.Unknown = append(o.Unknown, "vars.public_access_block")
			why := "the bucket of " + unresolved[0] + " is unknown: it may be this bucket's public access block"
			if u, ok := o.Vars["unknown"].(map[string]any); ok {
				u["vars.public_access_block"] = why
			} else {
				o.Vars["unknown"] = map[string]any{"vars.public_access_block": why}
			}
		default:
			o.Vars["public_access_block"] = nil
		}
	}
}

package terraform

import (
	"fmt"
	"math/big"
	"net/netip"

	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// functions is the subset of the Terraform language's built-in functions
// the evaluator offers (https://developer.hashicorp.com/terraform/language/functions).
// Most come from go-cty's stdlib and hcl's ext/tryfunc, which Terraform
// itself uses; the CIDR functions are ours. A call to any other function
// (timestamp, uuid, file, templatefile, base64…) fails evaluation and the
// value becomes unknown, naming the function: never a guess.
func functions() map[string]function.Function {
	return map[string]function.Function{
		"abs": stdlib.AbsoluteFunc, "ceil": stdlib.CeilFunc, "floor": stdlib.FloorFunc,
		"max": stdlib.MaxFunc, "min": stdlib.MinFunc, "parseint": stdlib.ParseIntFunc,
		"pow": stdlib.PowFunc, "signum": stdlib.SignumFunc, "log": stdlib.LogFunc,
		"chomp": stdlib.ChompFunc, "format": guard(stdlib.FormatFunc, formatWidth), "formatlist": guard(stdlib.FormatListFunc, formatWidth),
		"indent": guard(stdlib.IndentFunc, indentWidth), "join": stdlib.JoinFunc, "lower": stdlib.LowerFunc,
		"upper": stdlib.UpperFunc, "regex": stdlib.RegexFunc, "regexall": stdlib.RegexAllFunc,
		"replace": stdlib.ReplaceFunc, "split": stdlib.SplitFunc, "strrev": stdlib.ReverseFunc,
		"substr": stdlib.SubstrFunc, "title": stdlib.TitleFunc, "trim": stdlib.TrimFunc,
		"trimprefix": stdlib.TrimPrefixFunc, "trimsuffix": stdlib.TrimSuffixFunc,
		"trimspace": stdlib.TrimSpaceFunc,
		"chunklist": stdlib.ChunklistFunc, "coalesce": stdlib.CoalesceFunc,
		"coalescelist": stdlib.CoalesceListFunc, "compact": stdlib.CompactFunc,
		"concat": stdlib.ConcatFunc, "contains": stdlib.ContainsFunc, "distinct": stdlib.DistinctFunc,
		"element": stdlib.ElementFunc, "flatten": stdlib.FlattenFunc, "index": stdlib.IndexFunc,
		"keys": stdlib.KeysFunc, "length": stdlib.LengthFunc, "lookup": stdlib.LookupFunc,
		"merge": stdlib.MergeFunc, "range": stdlib.RangeFunc, "reverse": stdlib.ReverseListFunc,
		"setintersection": stdlib.SetIntersectionFunc, "setproduct": guard(stdlib.SetProductFunc, productSize),
		"setsubtract": stdlib.SetSubtractFunc, "setunion": stdlib.SetUnionFunc,
		"slice": stdlib.SliceFunc, "sort": stdlib.SortFunc, "values": stdlib.ValuesFunc,
		"zipmap":     stdlib.ZipmapFunc,
		"jsonencode": stdlib.JSONEncodeFunc, "jsondecode": stdlib.JSONDecodeFunc,
		"csvdecode": stdlib.CSVDecodeFunc,
		"tobool":    stdlib.MakeToFunc(cty.Bool), "tonumber": stdlib.MakeToFunc(cty.Number),
		"tostring": stdlib.MakeToFunc(cty.String), "tolist": stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)),
		"toset": stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType)), "tomap": stdlib.MakeToFunc(cty.Map(cty.DynamicPseudoType)),
		"try": tryfunc.TryFunc, "can": tryfunc.CanFunc,
		"cidrhost": cidrHostFunc, "cidrnetmask": cidrNetmaskFunc, "cidrsubnet": cidrSubnetFunc,
	}
}

// Bounds on what one function call may build: bad input must not take
// unbounded memory (a format width of 10^9, the product of large sets).
const (
	maxWidth   = 10000
	maxProduct = 100000
)

// guard wraps f with a check of its arguments.
func guard(f function.Function, check func(args []cty.Value) error) function.Function {
	return function.New(&function.Spec{
		Params:   f.Params(),
		VarParam: f.VarParam(),
		Type:     func(args []cty.Value) (cty.Type, error) { return f.ReturnTypeForValues(args) },
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			if err := check(args); err != nil {
				return cty.NilVal, err
			}
			return f.Call(args)
		},
	})
}

// formatWidth rejects format verbs with a width or precision above maxWidth.
func formatWidth(args []cty.Value) error {
	if len(args) == 0 || !args[0].IsKnown() || args[0].IsNull() || args[0].Type() != cty.String {
		return nil
	}
	n := 0
	for _, c := range args[0].AsString() {
		switch {
		case c >= '0' && c <= '9':
			n = min(n*10+int(c-'0'), 1<<30)
			if n > maxWidth {
				return fmt.Errorf("format width or precision above %d", maxWidth)
			}
		default:
			n = 0
		}
	}
	return nil
}

// indentWidth rejects indentations above maxWidth spaces.
func indentWidth(args []cty.Value) error {
	if len(args) > 0 && args[0].IsKnown() && !args[0].IsNull() && args[0].Type() == cty.Number {
		if f, _ := args[0].AsBigFloat().Float64(); f > maxWidth {
			return fmt.Errorf("indent above %d spaces", maxWidth)
		}
	}
	return nil
}

// productSize rejects set products of more than maxProduct elements.
func productSize(args []cty.Value) error {
	size := 1
	for _, a := range args {
		if !a.IsKnown() || a.IsNull() || !a.CanIterateElements() {
			continue
		}
		size *= max(1, a.LengthInt())
		if size > maxProduct {
			return fmt.Errorf("setproduct of more than %d elements", maxProduct)
		}
	}
	return nil
}

// cidrSubnetFunc is Terraform's cidrsubnet(prefix, newbits, netnum):
// the netnum-th subnet of prefix with newbits more prefix bits
// (https://developer.hashicorp.com/terraform/language/functions/cidrsubnet).
var cidrSubnetFunc = function.New(&function.Spec{
	Params: []function.Parameter{
		{Name: "prefix", Type: cty.String}, {Name: "newbits", Type: cty.Number}, {Name: "netnum", Type: cty.Number},
	},
	Type: function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		p, err := netip.ParsePrefix(args[0].AsString())
		if err != nil {
			return cty.UnknownVal(cty.String), fmt.Errorf("invalid CIDR %q: %w", args[0].AsString(), err)
		}
		nb, _ := args[1].AsBigFloat().Int64()
		num, _ := args[2].AsBigFloat().Int(nil)
		bits := p.Bits() + int(nb)
		if nb < 0 || bits > p.Addr().BitLen() {
			return cty.UnknownVal(cty.String), fmt.Errorf("cidrsubnet: %d new bits on /%d exceed the address length", nb, p.Bits())
		}
		if num.Sign() < 0 || num.BitLen() > int(nb) {
			return cty.UnknownVal(cty.String), fmt.Errorf("cidrsubnet: netnum %s does not fit in %d bits", num, nb)
		}
		shift := new(big.Int).Lsh(num, uint(p.Addr().BitLen()-bits))
		a := addBig(p.Masked().Addr(), shift)
		return cty.StringVal(netip.PrefixFrom(a, bits).String()), nil
	},
})

// cidrHostFunc is Terraform's cidrhost(prefix, hostnum); a negative
// hostnum counts from the end of the range.
var cidrHostFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "prefix", Type: cty.String}, {Name: "hostnum", Type: cty.Number}},
	Type:   function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		p, err := netip.ParsePrefix(args[0].AsString())
		if err != nil {
			return cty.UnknownVal(cty.String), fmt.Errorf("invalid CIDR %q: %w", args[0].AsString(), err)
		}
		n, _ := args[1].AsBigFloat().Int(nil)
		hostBits := p.Addr().BitLen() - p.Bits()
		size := new(big.Int).Lsh(big.NewInt(1), uint(hostBits))
		if n.Sign() < 0 {
			n.Add(n, size)
		}
		if n.Sign() < 0 || n.Cmp(size) >= 0 {
			return cty.UnknownVal(cty.String), fmt.Errorf("cidrhost: host number %s out of range for %s", args[1].AsBigFloat().String(), p)
		}
		return cty.StringVal(addBig(p.Masked().Addr(), n).String()), nil
	},
})

// cidrNetmaskFunc is Terraform's cidrnetmask(prefix) (IPv4 only).
var cidrNetmaskFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "prefix", Type: cty.String}},
	Type:   function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		p, err := netip.ParsePrefix(args[0].AsString())
		if err != nil || !p.Addr().Is4() {
			return cty.UnknownVal(cty.String), fmt.Errorf("cidrnetmask: invalid IPv4 CIDR %q", args[0].AsString())
		}
		m := ^uint32(0) << (32 - p.Bits())
		if p.Bits() == 0 {
			m = 0
		}
		return cty.StringVal(netip.AddrFrom4([4]byte{byte(m >> 24), byte(m >> 16), byte(m >> 8), byte(m)}).String()), nil
	},
})

// addBig adds n to address a (no overflow check: callers stay in range).
func addBig(a netip.Addr, n *big.Int) netip.Addr {
	b := a.AsSlice()
	v := new(big.Int).SetBytes(b)
	v.Add(v, n)
	out := v.FillBytes(make([]byte, len(b)))
	r, _ := netip.AddrFromSlice(out)
	return r
}

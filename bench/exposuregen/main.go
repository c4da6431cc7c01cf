// Command exposuregen writes a synthetic AWS estate as a snapshot in the
// AWS CLI layout (docs/aws-snapshot.md), for timing `sightline exposure`
// end to end (parsing included); bench/exposure.sh drives it.
//
//	go run ./bench/exposuregen -enis 100000 -out bench/work/estate-100k
//	/usr/bin/time -v sightline exposure --aws bench/work/estate-100k --format json > /dev/null
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/sightline-sec/sightline/bench/exposuregen/estate"
)

func main() {
	enis := flag.Int("enis", 100000, "network interfaces")
	out := flag.String("out", "bench/work/estate", "output snapshot directory (must not exist)")
	seed := flag.Uint64("seed", 1, "generator seed")
	perResource := flag.Bool("per-resource", false, "store per-resource operations one file per resource (as the collector does) instead of keyed objects")
	flag.Parse()
	if err := run(*enis, *out, *seed, *perResource); err != nil {
		fmt.Fprintln(os.Stderr, "exposuregen:", err)
		os.Exit(1)
	}
}

func run(enis int, out string, seed uint64, perResource bool) error {
	if _, err := os.Stat(out); err == nil {
		return fmt.Errorf("%s exists; remove it first", out)
	}
	reg := estate.Generate(estate.Target(enis), seed)
	write := estate.Write
	if perResource {
		write = estate.WritePerResource
	}
	if err := write(reg, out); err != nil {
		return err
	}
	fmt.Printf("wrote %s: %d interfaces, %d instances, %d security groups, %d subnets, %d load balancers\n",
		out, len(reg.NetworkInterfaces), len(reg.Instances), len(reg.SecurityGroups), len(reg.Subnets), len(reg.LoadBalancers))
	return nil
}

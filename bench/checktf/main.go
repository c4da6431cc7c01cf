// Command checktf is the Terraform part of the issue 10 check benchmark:
// it writes a root module of N resources (a VPC with an internet gateway
// and route table, then subnets, security groups with inline and separate
// rules, instances and EBS volumes in equal numbers; variables, locals,
// count and for_each as real configurations use them), reads it with the
// Terraform input (parse, evaluation, network build, exposure engine) and
// evaluates the built-in rules, printing the time of each step and the
// peak RSS. Synthetic configuration: time and memory only.
//
//	go run ./bench/checktf -n 2000
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/sightline-sec/sightline/internal/check/rules"
	"github.com/sightline-sec/sightline/internal/check/terraform"
)

func main() {
	n := flag.Int("n", 2000, "resources to generate (about)")
	dir := flag.String("dir", "", "where to write the module (default: a temporary directory)")
	prof := flag.String("cpuprofile", "", "write a CPU profile to this file")
	flag.Parse()
	if *prof != "" {
		f, err := os.Create(*prof)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	if *dir == "" {
		d, err := os.MkdirTemp("", "checktf")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(d)
		*dir = d
	}
	units := max(1, (*n-3)/5)
	if err := write(*dir, units); err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	t0 := time.Now()
	set, err := terraform.LoadDir(ctx, *dir, terraform.Options{})
	if err != nil {
		log.Fatal(err)
	}
	t1 := time.Now()
	rs, err := rules.Load(ctx, rules.Options{})
	if err != nil {
		log.Fatal(err)
	}
	res := rs.Evaluate(ctx, set)
	t2 := time.Now()
	exposed := 0
	for _, o := range set.Objects {
		rows, _ := o.Vars["exposure"].([]any)
		for _, r := range rows {
			if r.(map[string]any)["verdict"] == "exposed" {
				exposed++
			}
		}
	}
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	fmt.Printf("resources %d (gaps %d), exposed rows %d\n", len(set.Objects), len(set.Gaps), exposed)
	fmt.Printf("read+evaluate+exposure %v\n", t1.Sub(t0).Round(time.Millisecond))
	fmt.Printf("rules (%d) %v: %d findings, %d unknown\n", res.Stats.Rules, t2.Sub(t1).Round(time.Millisecond), len(res.Findings), len(res.Unknown))
	fmt.Printf("total %v, peak RSS %d MiB\n", t2.Sub(t0).Round(time.Millisecond), ru.Maxrss/1024)
}

// write generates the module: units × (subnet, security group, security
// group rule, instance, EBS volume) plus the VPC, gateway and route table.
func write(dir string, units int) error {
	var b strings.Builder
	fmt.Fprintf(&b, `variable "cidr" {
  default = "10.0.0.0/8"
}

variable "admin_cidrs" {
  type    = list(string)
  default = ["0.0.0.0/0"]
}

locals {
  units = %d
  ports = { ssh = 22, https = 443 }
  tags  = { Project = "bench", Owner = "sightline" }
}

resource "aws_vpc" "main" {
  cidr_block = var.cidr
  tags       = local.tags
}

resource "aws_internet_gateway" "main" {
  vpc_id = aws_vpc.main.id
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.main.id
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.main.id
  }
}

resource "aws_main_route_table_association" "main" {
  vpc_id         = aws_vpc.main.id
  route_table_id = aws_route_table.public.id
}
`, units)
	for i := 0; i < units; i++ {
		fmt.Fprintf(&b, `
resource "aws_subnet" "s%[1]d" {
  vpc_id                  = aws_vpc.main.id
  cidr_block              = cidrsubnet(var.cidr, 16, %[1]d)
  map_public_ip_on_launch = %[2]v
  tags                    = merge(local.tags, { Name = format("subnet-%%d", %[1]d) })
}

resource "aws_security_group" "g%[1]d" {
  name   = "g%[1]d"
  vpc_id = aws_vpc.main.id
  dynamic "ingress" {
    for_each = local.ports
    content {
      from_port   = ingress.value
      to_port     = ingress.value
      protocol    = "tcp"
      cidr_blocks = ingress.key == "ssh" ? (%[1]d %% 3 == 0 ? var.admin_cidrs : ["10.0.0.0/8"]) : ["0.0.0.0/0"]
    }
  }
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_security_group_rule" "r%[1]d" {
  type              = "ingress"
  security_group_id = aws_security_group.g%[1]d.id
  from_port         = 5432
  to_port           = 5432
  protocol          = "tcp"
  cidr_blocks       = [aws_vpc.main.cidr_block]
}

resource "aws_instance" "i%[1]d" {
  ami                    = "ami-0abcdef1234567890"
  instance_type          = "t3.micro"
  subnet_id              = aws_subnet.s%[1]d.id
  vpc_security_group_ids = [aws_security_group.g%[1]d.id]
  metadata_options {
    http_tokens = %[1]d %% 2 == 0 ? "required" : "optional"
  }
}

resource "aws_ebs_volume" "v%[1]d" {
  availability_zone = "eu-west-1a"
  size              = 10
  encrypted         = %[3]v
}
`, i, i%2 == 0, i%4 != 0)
	}
	return os.WriteFile(filepath.Join(dir, "main.tf"), []byte(b.String()), 0o644)
}

# Hand-written test configuration (not real data): count, for_each,
# dynamic blocks, functions, a local module, a remote module and inline
# suppressions.
variable "cidr" {
  default = "10.20.0.0/16"
}

variable "admin_cidrs" {
  type    = list(string)
  default = ["0.0.0.0/0"]
}

variable "secret_cidr" {
  type = string
}

locals {
  ports = { ssh = 22, rdp = 3389 }
  name  = format("%s-%s", "app", lower("PROD"))
}

module "net" {
  source = "./modules/net"
  cidr   = var.cidr
}

module "remote" {
  source  = "terraform-aws-modules/vpc/aws"
  version = "5.0.0"
}

resource "aws_subnet" "public" {
  count                   = 2
  vpc_id                  = module.net.vpc_id
  cidr_block              = cidrsubnet(var.cidr, 8, count.index)
  map_public_ip_on_launch = true
}

# sightline:ignore SL-AWS-001 bastion reached over SSH by design
resource "aws_security_group" "admin" {
  name   = local.name
  vpc_id = module.net.vpc_id

  dynamic "ingress" {
    for_each = local.ports
    content {
      from_port   = ingress.value
      to_port     = ingress.value
      protocol    = "tcp"
      cidr_blocks = var.admin_cidrs
    }
  }

  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = [var.secret_cidr]
  }
}

resource "aws_instance" "web" {
  for_each               = toset(["a", "b"])
  ami                    = "ami-12345678"
  instance_type          = "t3.micro"
  subnet_id              = aws_subnet.public[0].id
  vpc_security_group_ids = [aws_security_group.admin.id]
  user_data              = timestamp() # sightline:ignore SL-AWS-002 test reason

  metadata_options {
    http_tokens = each.key == "a" ? "required" : "optional"
  }
}

resource "aws_ebs_volume" "data" {
  count     = length(module.remote.private_subnets)
  encrypted = false
  size      = 10
}

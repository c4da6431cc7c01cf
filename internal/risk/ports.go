package risk

import (
	"strconv"
	"strings"
)

// wellKnown maps server packages (binary or source package names, as
// distributions and the official images name them) to the ports their
// default configuration listens on. Sources: the IANA Service Name and
// Transport Protocol Port Number Registry
// (https://www.iana.org/assignments/service-names-port-numbers) for the
// service, and each package's default configuration file as shipped by
// Debian (e.g. nginx's /etc/nginx/sites-available/default listens on 80;
// openssh-server's sshd_config Port 22; postgresql.conf port = 5432;
// redis.conf port 6379; mysqld.cnf port 3306; apache2's ports.conf Listen
// 80 and, with mod_ssl, 443) and the official Docker images' EXPOSE lines.
// docs/risk.md repeats the table; keep both in step.
var wellKnown = map[string][]string{
	"nginx":           {"tcp/80", "tcp/443"},
	"nginx-core":      {"tcp/80", "tcp/443"},
	"nginx-light":     {"tcp/80", "tcp/443"},
	"nginx-full":      {"tcp/80", "tcp/443"},
	"apache2":         {"tcp/80", "tcp/443"},
	"apache2-bin":     {"tcp/80", "tcp/443"},
	"httpd":           {"tcp/80", "tcp/443"},
	"lighttpd":        {"tcp/80", "tcp/443"},
	"haproxy":         {"tcp/80", "tcp/443"},
	"caddy":           {"tcp/80", "tcp/443"},
	"tomcat":          {"tcp/8080"},
	"tomcat9":         {"tcp/8080"},
	"tomcat10":        {"tcp/8080"},
	"openssh-server":  {"tcp/22"},
	"openssh":         {"tcp/22"},
	"dropbear":        {"tcp/22"},
	"postgresql":      {"tcp/5432"},
	"postgresql-15":   {"tcp/5432"},
	"postgresql-16":   {"tcp/5432"},
	"redis":           {"tcp/6379"},
	"redis-server":    {"tcp/6379"},
	"mysql-server":    {"tcp/3306"},
	"mariadb-server":  {"tcp/3306"},
	"mariadb":         {"tcp/3306"},
	"mongodb":         {"tcp/27017"},
	"memcached":       {"tcp/11211", "udp/11211"},
	"rabbitmq-server": {"tcp/5672", "tcp/15672"},
	"bind9":           {"tcp/53", "udp/53"},
	"squid":           {"tcp/3128"},
	"postfix":         {"tcp/25"},
	"exim4":           {"tcp/25"},
	"dovecot-core":    {"tcp/143", "tcp/993", "tcp/110", "tcp/995"},
	"vsftpd":          {"tcp/21"},
	"samba":           {"tcp/445", "tcp/139"},
	"etcd-server":     {"tcp/2379", "tcp/2380"},
	"elasticsearch":   {"tcp/9200", "tcp/9300"},
}

// serverPorts returns the default ports of a well-known server package,
// looked up by the package name and then by its source package (a Debian
// PURL's "upstream" qualifier is not used: the name is enough for the
// table's entries).
func serverPorts(name string) ([]string, bool) {
	p, ok := wellKnown[strings.ToLower(name)]
	return p, ok
}

func portKey(proto string, port int) string { return proto + "/" + strconv.Itoa(port) }

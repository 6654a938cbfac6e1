package mail

import (
	"net"
	"strings"
)

// IsLoopbackHost reports whether host (a name or an IP literal) is this machine's loopback:
// the one place mail/imapbox and mail/smtpsend let a connection go without TLS by default.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

package domain

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// WebhookAllowList is what the administrator lets webhooks reach beside public HTTPS
// endpoints: on-premise portals on a private network or plain HTTP. An entry is a host (a name
// or an address, optionally with a port) or a CIDR block. A portal chooses its webhook's URL,
// and the server calls it: without this list a portal could make the server probe its own
// network (SSRF).
type WebhookAllowList []webhookOrigin

// webhookOrigin is one entry: a block of addresses, or a host with an optional port.
type webhookOrigin struct {
	block netip.Prefix
	host  string // lower case, without a trailing dot
	port  string // "" for any
}

// ParseWebhookAllowList reads a comma-separated list of hosts (name, IPv4 or IPv6 address,
// optionally :port, an IPv6 address with a port in brackets) and CIDR blocks.
func ParseWebhookAllowList(s string) (WebhookAllowList, error) {
	var list WebhookAllowList
	for _, entry := range strings.Split(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		if strings.Contains(entry, "/") {
			block, err := netip.ParsePrefix(entry)
			if err != nil {
				return nil, fmt.Errorf("%q is not a CIDR block such as 10.0.0.0/8", entry)
			}
			list = append(list, webhookOrigin{block: block.Masked()})
			continue
		}
		host, port := entry, ""
		if h, p, err := net.SplitHostPort(entry); err == nil {
			host, port = h, p
			if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
				return nil, fmt.Errorf("%q: the port must be a number from 1 to 65535", entry)
			}
		}
		host = canonicalHost(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
		if host == "" || strings.ContainsAny(host, "[]@ /") {
			return nil, fmt.Errorf("%q is not a host, host:port or CIDR block", entry)
		}
		list = append(list, webhookOrigin{host: host, port: port})
	}
	return list, nil
}

// canonicalHost is how hosts compare: lower case, without a trailing dot, an address in its
// shortest form.
func canonicalHost(host string) string {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip.Unmap().String()
	}
	return host
}

// Lists reports whether the administrator allowed host (as named in the URL) at port, or the
// address ip it resolved to (the zero Addr when not known yet).
func (l WebhookAllowList) Lists(host, port string, ip netip.Addr) bool {
	host = canonicalHost(host)
	ip = ip.Unmap()
	for _, o := range l {
		if o.block.IsValid() {
			if ip.IsValid() && o.block.Contains(ip) {
				return true
			}
			continue
		}
		if (o.host == host || (ip.IsValid() && o.host == ip.String())) && (o.port == "" || o.port == port) {
			return true
		}
	}
	return false
}

// MayConnect reports whether a delivery to host:port may connect to ip: a public address, or
// one the administrator allowed.
func (l WebhookAllowList) MayConnect(host, port string, ip netip.Addr) bool {
	return !InternalAddr(ip) || l.Lists(host, port, ip)
}

// InternalAddr reports whether ip is one a webhook may not reach unless allowed: loopback,
// private (RFC 1918, RFC 4193), shared (CGNAT, RFC 6598), link-local, multicast, unspecified,
// reserved or non-global, also as an IPv4-mapped, NAT64 or 6to4 IPv6 address.
func InternalAddr(ip netip.Addr) bool {
	if !ip.IsValid() {
		return true
	}
	ip = ip.Unmap()
	if ip.Is6() {
		b := ip.As16()
		switch {
		case nat64.Contains(ip) || ipv4Compatible.Contains(ip):
			return InternalAddr(netip.AddrFrom4([4]byte(b[12:16])))
		case sixToFour.Contains(ip):
			return InternalAddr(netip.AddrFrom4([4]byte(b[2:6])))
		}
	}
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsMulticast() || ip.IsUnspecified() ||
		ip.IsInterfaceLocalMulticast() || ip.IsLinkLocalMulticast() {
		return true
	}
	for _, block := range nonGlobal {
		if block.Contains(ip) {
			return true
		}
	}
	return false
}

var (
	nat64          = netip.MustParsePrefix("64:ff9b::/96")
	ipv4Compatible = netip.MustParsePrefix("::/96")
	sixToFour      = netip.MustParsePrefix("2002::/16")
	// nonGlobal are the blocks of the IANA special-purpose registries that no public endpoint
	// uses and netip has no predicate for.
	nonGlobal = []netip.Prefix{
		netip.MustParsePrefix("0.0.0.0/8"),     // "this network": 0.x reaches the host itself
		netip.MustParsePrefix("100.64.0.0/10"), // shared address space (CGNAT)
		netip.MustParsePrefix("192.0.0.0/24"),  // IETF protocol assignments
		netip.MustParsePrefix("192.0.2.0/24"),  // documentation
		netip.MustParsePrefix("198.18.0.0/15"), // benchmarking
		netip.MustParsePrefix("198.51.100.0/24"),
		netip.MustParsePrefix("203.0.113.0/24"),
		netip.MustParsePrefix("240.0.0.0/4"), // reserved, and the broadcast address
		netip.MustParsePrefix("64:ff9b:1::/48"),
		netip.MustParsePrefix("100::/64"),      // discard
		netip.MustParsePrefix("2001:db8::/32"), // documentation
		netip.MustParsePrefix("fec0::/10"),     // site-local
	}
)

// CheckWebhookURL checks a webhook's URL as far as it can be without resolving it: absolute
// https (http only for an allowed host), no user name or password, and no internal address
// unless allowed. The address a name resolves to is checked when a delivery connects.
// Returns validation_failed naming "url".
func (l WebhookAllowList) CheckWebhookURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" {
		return nil, Invalid("url", "must be an absolute https URL")
	}
	if u.User != nil {
		return nil, Invalid("url", "must not carry a user name or password")
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	ip, _ := netip.ParseAddr(u.Hostname())
	listed := l.Lists(u.Hostname(), port, ip)
	if u.Scheme == "http" && !listed {
		return nil, Invalid("url", "must use https: plain http only for origins the administrator allows")
	}
	if ip.IsValid() && InternalAddr(ip) && !listed {
		return nil, Invalid("url", "must not point to a loopback, private, link-local, multicast or reserved address")
	}
	return u, nil
}

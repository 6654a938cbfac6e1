package domain

import (
	"net/netip"
	"testing"
)

// TestInternalAddr: every range a webhook may not reach without the administrator's leave is
// internal, in each of its IPv6 spellings; public addresses are not.
func TestInternalAddr(t *testing.T) {
	for _, a := range []string{
		"127.0.0.1", "127.9.9.9", "::1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "fc00::1", "fd12:3456::1",
		"169.254.169.254", "fe80::1", "224.0.0.1", "ff02::1", "0.0.0.0", "::", "0.1.2.3", "100.64.0.1",
		"100.127.255.254", "255.255.255.255", "198.18.0.1", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
		"::ffff:169.254.169.254", "64:ff9b::a00:1", "2002:7f00:1::1", "::127.0.0.1", "fec0::1",
	} {
		if !InternalAddr(netip.MustParseAddr(a)) {
			t.Errorf("%s is not internal", a)
		}
	}
	for _, a := range []string{"93.184.215.14", "100.128.0.1", "8.8.8.8", "2a00:1450:4002::65", "::ffff:8.8.8.8", "64:ff9b::808:808"} {
		if InternalAddr(netip.MustParseAddr(a)) {
			t.Errorf("%s is internal", a)
		}
	}
	if !InternalAddr(netip.Addr{}) {
		t.Error("an unknown address is allowed")
	}
}

// TestWebhookAllowList: an allowed host, host:port or block lets a delivery reach an internal
// address; nothing else does.
func TestWebhookAllowList(t *testing.T) {
	l, err := ParseWebhookAllowList("Portal.Comune.local., 127.0.0.1:8443, 10.0.0.0/8, [::1]:9000, [fd00::5]")
	if err != nil {
		t.Fatal(err)
	}
	loop, ten := netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("10.2.3.4")
	for _, tc := range []struct {
		host, port string
		ip         netip.Addr
		want       bool
	}{
		{"portal.comune.local", "80", ten, true},
		{"portal.comune.local", "443", loop, true},
		{"127.0.0.1", "8443", loop, true},
		{"localhost", "8443", loop, true}, // the address is listed with that port
		{"localhost", "8080", loop, false},
		{"anything.example", "443", ten, true},
		{"anything.example", "443", netip.MustParseAddr("::ffff:10.9.9.9"), true},
		{"::1", "9000", netip.MustParseAddr("::1"), true},
		{"::1", "9001", netip.MustParseAddr("::1"), false},
		{"other.local", "443", netip.MustParseAddr("192.168.1.1"), false},
		{"fd00::5", "443", netip.MustParseAddr("fd00::5"), true},
		{"fd00::6", "443", netip.MustParseAddr("fd00::6"), false},
	} {
		if got := l.MayConnect(tc.host, tc.port, tc.ip); got != tc.want {
			t.Errorf("MayConnect(%s, %s, %s) = %v", tc.host, tc.port, tc.ip, got)
		}
	}
	if !l.MayConnect("public.example", "443", netip.MustParseAddr("93.184.215.14")) {
		t.Error("a public address is refused")
	}
}

// TestCheckWebhookURL: at registration a webhook must be https, carry no credentials and name
// no internal address, unless its origin is allowed.
func TestCheckWebhookURL(t *testing.T) {
	l, err := ParseWebhookAllowList("portal.local, 192.168.10.0/24")
	if err != nil {
		t.Fatal(err)
	}
	for _, ok := range []string{"https://portal.example/hook", "https://93.184.215.14:8443/h", "http://portal.local:8080/h",
		"http://192.168.10.7/h", "https://[2a00:1450:4002::65]/h"} {
		if _, err := l.CheckWebhookURL(ok); err != nil {
			t.Errorf("%s refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"http://portal.example/hook", "ftp://portal.example", "https://user:pw@portal.example/h",
		"https://127.0.0.1/h", "https://[::ffff:127.0.0.1]/h", "https://169.254.169.254/latest", "https://10.0.0.1/h",
		"https://[fe80::1%25eth0]/h", "https:///nohost", "http://192.168.11.7/h", "https://0.0.0.0:8080/"} {
		_, err := l.CheckWebhookURL(bad)
		var e *Error
		if !asError(err, &e) || e.Code != ECValidation || e.Fields[0].Field != "url" {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

package app

import (
	"context"
	"crypto/x509"
	"fmt"
	"net"
	"net/url"
	"os"
	"syscall"
	"testing"
)

// TestDeliveryFailure: the delivery log's reason names the kind of failure, never the addresses
// or names that the error's text carries.
func TestDeliveryFailure(t *testing.T) {
	dial := func(err error) error {
		return &url.Error{Op: "Post", URL: "https://10.0.0.7:8443/hook", Err: &net.OpError{Op: "dial", Net: "tcp",
			Addr: &net.TCPAddr{IP: net.IPv4(10, 0, 0, 7), Port: 8443}, Err: err}}
	}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{dial(errAddressNotAllowed), "address not allowed"},
		{dial(os.NewSyscallError("connect", syscall.ECONNREFUSED)), "connection refused"},
		{dial(os.NewSyscallError("read", syscall.ECONNRESET)), "connection reset"},
		{dial(os.NewSyscallError("connect", syscall.EHOSTUNREACH)), "network unreachable"},
		{dial(&net.DNSError{Err: "no such host", Name: "intranet.corp", IsNotFound: true}), "host not found"},
		{dial(fmt.Errorf("tls: %w", x509.UnknownAuthorityError{})), "tls handshake failed"},
		{dial(context.DeadlineExceeded), "timeout"},
		{dial(&net.DNSError{Err: "i/o timeout", Name: "intranet.corp", IsTimeout: true}), "host not found"},
		{dial(fmt.Errorf("something else at 10.0.0.7")), "delivery failed"},
	} {
		if got := deliveryFailure(tc.err); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.err, got, tc.want)
		}
	}
}

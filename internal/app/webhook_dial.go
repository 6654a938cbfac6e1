package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"

	"github.com/sportello/sportello/domain"
)

// errAddressNotAllowed refuses a connection to an internal address the administrator did not
// allow.
var errAddressNotAllowed = errors.New("address not allowed")

// webhookClient is the HTTP client of deliveries. It checks every address it connects to, after
// name resolution, so a name that resolves (or rebinds) into the server's network is refused
// like the address itself; it never follows a redirect, which would take the delivery where
// the URL check did not look; and it ignores proxy settings, whose proxy would connect for it.
func webhookClient(allow domain.WebhookAllowList) *http.Client {
	return outboundClient(allow, webhookTimeout, webhookTimeout)
}

// outboundClient is the HTTP client of calls to addresses outside input or configuration
// chose, checked against allow as webhookClient says: webhooks and the conservation
// endpoint. timeout bounds a whole call (0: none, the caller's context does), header the wait
// for the answer's headers once the request is sent.
func outboundClient(allow domain.WebhookAllowList, timeout, header time.Duration) *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy: nil,
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				host, port, err := net.SplitHostPort(addr)
				if err != nil {
					return nil, err
				}
				d := *dialer
				d.Control = func(_, address string, _ syscall.RawConn) error {
					ap, err := netip.ParseAddrPort(address)
					if err != nil || !allow.MayConnect(host, port, ap.Addr()) {
						return errAddressNotAllowed
					}
					return nil
				}
				return d.DialContext(ctx, network, addr)
			},
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          100,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   5 * time.Second,
			ResponseHeaderTimeout: header,
			ExpectContinueTimeout: time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// deliveryFailure is what the delivery log says of a failed attempt: a reason a portal can act
// on, never the error's text, which names the server's addresses.
func deliveryFailure(err error) string {
	var (
		dnsErr    *net.DNSError
		netErr    net.Error
		verifyErr *tls.CertificateVerificationError
		alertErr  tls.AlertError
		recordErr tls.RecordHeaderError
		unknownCA x509.UnknownAuthorityError
		hostErr   x509.HostnameError
		invalid   x509.CertificateInvalidError
	)
	switch {
	case errors.Is(err, errAddressNotAllowed):
		return "address not allowed"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "connection reset"
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH):
		return "network unreachable"
	case errors.As(err, &dnsErr):
		return "host not found"
	case errors.As(err, &verifyErr), errors.As(err, &alertErr), errors.As(err, &recordErr),
		errors.As(err, &unknownCA), errors.As(err, &hostErr), errors.As(err, &invalid):
		return "tls handshake failed"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return "timeout"
	default:
		return "delivery failed"
	}
}

// Package conservation holds the destinations archival packages are sent to
// (domain.ConservationDestination): a folder, which a conservation system or a transfer agent
// reads, or an HTTP endpoint of the conservator (docs/package-format.md "Sending to
// conservation").
package conservation

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/sportello/sportello/domain"
)

// Config says where packages go.
type Config struct {
	// URL is file:///absolute/folder, or an http(s) URL: with PUT the package goes to
	// URL/<id>.zip (a trailing slash or not), with POST to URL itself.
	URL string
	// Method is PUT (the default) or POST, for an HTTP URL.
	Method string
	// Token, when set, is sent as Authorization: Bearer.
	Token string
	// Allow lists the hosts an HTTP URL may name by plain http or on a loopback, private or
	// link-local address (SPORTELLO_CONSERVATION_ALLOW, read like the webhooks' list).
	Allow domain.WebhookAllowList
	// Client makes the requests; it must check every address it connects to against Allow
	// (internal/app's outbound client), so that a name resolving into the server's network is
	// refused like the address itself.
	Client *http.Client
}

// New returns the destination of c, or an error saying what is wrong with it.
func New(c Config) (domain.ConservationDestination, error) {
	u, err := url.Parse(c.URL)
	if err != nil {
		return nil, fmt.Errorf("conservation URL: %w", err)
	}
	switch u.Scheme {
	case "file":
		if u.Host != "" && u.Host != "localhost" || !strings.HasPrefix(u.Path, "/") || u.RawQuery != "" {
			return nil, errors.New("conservation URL: want file:///absolute/folder")
		}
		return NewFolder(u.Path)
	case "http", "https":
		if _, err := c.Allow.CheckWebhookURL(c.URL); err != nil {
			var e *domain.Error
			if errors.As(err, &e) && len(e.Fields) > 0 {
				return nil, fmt.Errorf("conservation URL: %s", e.Fields[0].Message)
			}
			return nil, fmt.Errorf("conservation URL: %w", err)
		}
		method := strings.ToUpper(c.Method)
		switch method {
		case "":
			method = http.MethodPut
		case http.MethodPut, http.MethodPost:
		default:
			return nil, fmt.Errorf("conservation method: want PUT or POST, not %q", c.Method)
		}
		if c.Client == nil {
			return nil, errors.New("conservation: no HTTP client")
		}
		return &Endpoint{URL: u, Method: method, Token: c.Token, Client: c.Client}, nil
	}
	return nil, fmt.Errorf("conservation URL: want file:///folder or an http(s) URL, not scheme %q", u.Scheme)
}

package signing

import (
	"context"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/digitorus/timestamp"
)

// serveLoopback exposes tsa as an RFC 3161 endpoint on 127.0.0.1 for the
// duration of one signature. pdfsign fetches B-T time-stamps only by URL,
// with its own HTTP client and a nonce it insists on seeing echoed; serving
// the Timestamper locally lets SignPDF use the built-in TSA (or a TSAClient
// with its retries) without forking pdfsign. Loopback is not proxied by
// net/http, and the listener lives only as long as the signature.
func serveLoopback(ctx context.Context, tsa NonceTimestamper) (url string, stop func(), err error) {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("serve time-stamps on loopback: %w", err)
	}
	srv := &http.Server{
		Handler:           loopbackHandler(tsa),
		ReadHeaderTimeout: 5 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	go func() { _ = srv.Serve(ln) }()
	stop = func() { _ = srv.Close() }
	return "http://" + ln.Addr().String() + "/", stop, nil
}

// loopbackHandler turns a query into a reply through tsa. Only the token
// comes from tsa; the reply envelope is built here.
func loopbackHandler(tsa NonceTimestamper) http.Handler {
	if h, ok := tsa.(http.Handler); ok {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		query, err := readQuery(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		req, err := timestamp.ParseRequest(query)
		if err != nil {
			http.Error(w, "bad query", http.StatusBadRequest)
			return
		}
		token, err := tsa.TimestampNonce(r.Context(), req.HashedMessage, req.HashAlgorithm, req.Nonce)
		if err != nil {
			http.Error(w, "time-stamp failed", http.StatusBadGateway)
			return
		}
		reply, err := grantedReply(token)
		if err != nil {
			http.Error(w, "time-stamp failed", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/timestamp-reply")
		_, _ = w.Write(reply)
	})
}

// readQuery reads an RFC 3161 query body, refusing oversized ones.
func readQuery(r *http.Request) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "application/timestamp-query" {
		return nil, errors.New("content type must be application/timestamp-query")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxTimestampQuery+1))
	if err != nil {
		return nil, fmt.Errorf("read query: %w", err)
	}
	if len(body) > maxTimestampQuery {
		return nil, errors.New("oversized query")
	}
	return body, nil
}

// grantedReply wraps a token in a TimeStampResp with status granted
// (RFC 3161 §2.4.2).
func grantedReply(token []byte) ([]byte, error) {
	type statusInfo struct{ Status int }
	reply := struct {
		Status statusInfo
		Token  asn1.RawValue
	}{Token: asn1.RawValue{FullBytes: token}}
	der, err := asn1.Marshal(reply)
	if err != nil {
		return nil, fmt.Errorf("encode time-stamp reply: %w", err)
	}
	return der, nil
}

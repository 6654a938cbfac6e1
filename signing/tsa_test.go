package signing

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/asn1"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/digitorus/timestamp"
)

func TestBuiltinTSA(t *testing.T) {
	_, tsa := fixtures(t)
	roots := pool(tsa.Certificate())
	digest := sha256.Sum256([]byte("registrazione PG/2026/0000001"))
	ctx := context.Background()

	t.Run("TokenVerifies", func(t *testing.T) {
		token, err := tsa.Timestamp(ctx, digest[:], crypto.SHA256)
		if err != nil {
			t.Fatalf("Timestamp: %v", err)
		}
		info, err := VerifyToken(token, digest[:], crypto.SHA256, nil, roots)
		if err != nil {
			t.Fatalf("VerifyToken: %v", err)
		}
		if !info.TSA.Equal(tsa.Certificate()) || info.Time.IsZero() || info.Serial == nil {
			t.Errorf("token info %+v", info)
		}
	})

	t.Run("ErrWrongDigest", func(t *testing.T) {
		token, err := tsa.Timestamp(ctx, digest[:], crypto.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		other := sha256.Sum256([]byte("another document"))
		if _, err := VerifyToken(token, other[:], crypto.SHA256, nil, roots); !errors.Is(err, ErrTokenMismatch) {
			t.Fatalf("got %v, want ErrTokenMismatch", err)
		}
	})

	t.Run("ErrWrongNonce", func(t *testing.T) {
		token, err := tsa.TimestampNonce(ctx, digest[:], crypto.SHA256, big.NewInt(42))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := VerifyToken(token, digest[:], crypto.SHA256, big.NewInt(42), roots); err != nil {
			t.Fatalf("right nonce: %v", err)
		}
		if _, err := VerifyToken(token, digest[:], crypto.SHA256, big.NewInt(43), roots); !errors.Is(err, ErrTokenMismatch) {
			t.Fatalf("wrong nonce: got %v, want ErrTokenMismatch", err)
		}
	})

	t.Run("ErrUntrustedTSA", func(t *testing.T) {
		stranger, err := LoadOrCreateBuiltinTSA(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		token, err := stranger.Timestamp(ctx, digest[:], crypto.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := VerifyToken(token, digest[:], crypto.SHA256, nil, roots); err == nil {
			t.Fatal("token from an untrusted TSA accepted")
		}
	})

	t.Run("ErrTamperedToken", func(t *testing.T) {
		token, err := tsa.Timestamp(ctx, digest[:], crypto.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		// Flip a byte of the imprint inside the signed TSTInfo.
		i := bytes.Index(token, digest[:])
		if i < 0 {
			t.Fatal("imprint not found in token")
		}
		token[i] ^= 0xff
		flipped := bytes.Clone(digest[:])
		flipped[0] ^= 0xff
		if _, err := VerifyToken(token, flipped, crypto.SHA256, nil, roots); err == nil {
			t.Fatal("token with an altered imprint accepted")
		}
	})

	t.Run("ErrDigestOfWrongLength", func(t *testing.T) {
		if _, err := tsa.Timestamp(ctx, digest[:10], crypto.SHA256); err == nil {
			t.Fatal("short digest accepted")
		}
	})
}

func TestBuiltinTSACertificate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tsa")
	tsa, err := LoadOrCreateBuiltinTSA(dir)
	if err != nil {
		t.Fatal(err)
	}
	assertMode(t, dir, 0o700)
	assertMode(t, filepath.Join(dir, "tsa.key"), 0o600)
	var critical bool
	for _, ext := range tsa.Certificate().Extensions {
		if ext.Id.Equal(asn1.ObjectIdentifier{2, 5, 29, 37}) {
			critical = ext.Critical
		}
	}
	if !critical {
		t.Error("EKU extension is not critical")
	}
	if eku := tsa.Certificate().ExtKeyUsage; len(eku) != 1 || eku[0] != 8 {
		t.Errorf("EKU %v, want only timeStamping", eku)
	}
	again, err := LoadOrCreateBuiltinTSA(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Certificate().Equal(tsa.Certificate()) {
		t.Error("reload produced a different TSA certificate")
	}
}

func TestBuiltinTSAHandler(t *testing.T) {
	_, tsa := fixtures(t)
	srv := httptest.NewServer(tsa)
	defer srv.Close()

	t.Run("AnswersRFC3161Query", func(t *testing.T) {
		nonce := big.NewInt(777)
		query, err := timestamp.CreateRequest(bytes.NewReader([]byte("giornale di protocollo")),
			&timestamp.RequestOptions{Hash: crypto.SHA256, Certificates: true, Nonce: nonce})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.Post(srv.URL, "application/timestamp-query", bytes.NewReader(query))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/timestamp-reply" {
			t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		ts, err := timestamp.ParseResponse(body)
		if err != nil {
			t.Fatalf("ParseResponse: %v", err)
		}
		digest := sha256.Sum256([]byte("giornale di protocollo"))
		if _, err := VerifyToken(ts.RawToken, digest[:], crypto.SHA256, nonce, pool(tsa.Certificate())); err != nil {
			t.Fatalf("VerifyToken: %v", err)
		}
	})

	t.Run("RejectsMalformedQuery", func(t *testing.T) {
		resp, err := http.Post(srv.URL, "application/timestamp-query", bytes.NewReader([]byte("not DER")))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if _, err := timestamp.ParseResponse(body); err == nil {
			t.Fatal("malformed query granted")
		}
	})

	t.Run("ErrMethodNotAllowed", func(t *testing.T) {
		resp, err := http.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Fatalf("GET answered %d", resp.StatusCode)
		}
	})
}

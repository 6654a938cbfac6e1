package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/sportello/sportello/archive"
	"github.com/sportello/sportello/signing"
)

// BenchmarkVerifyPackage measures `sportello verify` on a package of BENCH_PACKAGE_MB (default
// 256) MiB of incompressible 4 MiB files built by archive.Build: reading and inflating the zip,
// the index, the seal, the time-stamp and every file's SHA-256. The synthetic package has no
// log proofs (those checks fail at once and cost nothing next to hashing).
func BenchmarkVerifyPackage(b *testing.B) {
	mb := 256
	if s := os.Getenv("BENCH_PACKAGE_MB"); s != "" {
		mb, _ = strconv.Atoi(s)
	}
	dir := b.TempDir()
	id, err := signing.LoadOrCreateSelfSigned(filepath.Join(dir, "seal"))
	if err != nil {
		b.Fatal(err)
	}
	tsa, err := signing.LoadOrCreateBuiltinTSA(filepath.Join(dir, "tsa"))
	if err != nil {
		b.Fatal(err)
	}
	var files []archive.Entry
	for i := 0; i < mb/4; i++ {
		data := make([]byte, 4<<20)
		if _, err := rand.Read(data); err != nil {
			b.Fatal(err)
		}
		files = append(files, archive.Entry{Path: fmt.Sprintf("registrations/PG-2026-%07d/document/scan.pdf", i+1),
			Group: fmt.Sprintf("PG-2026-%07d", i+1), Format: "application/pdf", Data: data})
	}
	built, err := archive.Build(context.Background(), archive.Index{Label: "Pacchetto", Producer: "Comune", Signer: "Sportello",
		TimeReference: time.Now()}, files, archive.Sealing{
		Seal: func(_ context.Context, data []byte) ([]byte, error) { return signing.SealDetached(id, data) }, TSA: tsa})
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, "package.zip")
	if err := os.WriteFile(path, built.Zip, 0o600); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(mb) << 20)
	b.ResetTimer()
	for b.Loop() {
		_ = run(context.Background(), []string{"verify", path}, func(string) string { return "" }, io.Discard)
	}
}

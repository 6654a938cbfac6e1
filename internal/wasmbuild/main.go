// Command wasmbuild builds a Go main package for js/wasm, reproducibly (-trimpath, no VCS
// stamp, the environment fixed), writes it gzip-compressed without a name or time, and copies
// the toolchain's wasm_exec.js beside it: `go generate ./verify/page` runs it, and CI checks
// that the committed files are what it makes.
package main

import (
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

func main() {
	pkg := flag.String("pkg", "", "the main package to build")
	out := flag.String("out", "", "the .wasm.gz file to write")
	execJS := flag.String("exec", "", "where to copy wasm_exec.js")
	flag.Parse()
	if err := build(*pkg, *out, *execJS); err != nil {
		fmt.Fprintln(os.Stderr, "wasmbuild:", err)
		os.Exit(1)
	}
}

func build(pkg, out, execJS string) error {
	if pkg == "" || out == "" || execJS == "" {
		return fmt.Errorf("usage: wasmbuild -pkg PACKAGE -out FILE.wasm.gz -exec wasm_exec.js")
	}
	tmp, err := os.MkdirTemp("", "wasmbuild-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	wasm := filepath.Join(tmp, "main.wasm")
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid=", "-o", wasm, pkg)
	cmd.Env = append(cleanEnv(), "GOOS=js", "GOARCH=wasm", "CGO_ENABLED=0", "GOFLAGS=", "GOWASM=")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s: %w", pkg, err)
	}
	raw, err := os.ReadFile(wasm)
	if err != nil {
		return err
	}
	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if err != nil {
		return err
	}
	if _, err := zw.Write(raw); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := os.WriteFile(out, gz.Bytes(), 0o644); err != nil {
		return err
	}
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return fmt.Errorf("go env GOROOT: %w", err)
	}
	js, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(goroot)), "lib", "wasm", "wasm_exec.js"))
	if err != nil {
		return err
	}
	if err := os.WriteFile(execJS, js, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "wasmbuild: %s %d bytes (%d gzip)\n", out, len(raw), gz.Len())
	return nil
}

// cleanEnv is the environment without the settings that would change the build's bytes.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "GOOS", "GOARCH", "CGO_ENABLED", "GOFLAGS", "GOWASM":
			continue
		}
		env = append(env, kv)
	}
	return env
}

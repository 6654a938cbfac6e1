//go:build js && wasm

// Command wasm is package verify compiled to WebAssembly for the public verification page
// (GET /verify, verify/page): it defines the JavaScript function
//
//	sportelloVerify(bytes: Uint8Array, options: {fingerprint, tsaFingerprint}) → string
//
// that verifies the bytes of a file the visitor chose, in the browser, and returns the
// verify.Report as JSON. Nothing leaves the browser. Build it with `go generate ./verify/page`.
package main

import (
	"encoding/json"
	"syscall/js"

	"github.com/sportello/sportello/verify"
)

func main() {
	js.Global().Set("sportelloVerify", js.FuncOf(verifyBytes))
	select {} // the function must outlive main
}

// verifyBytes is sportelloVerify.
func verifyBytes(_ js.Value, args []js.Value) any {
	if len(args) == 0 || args[0].Type() != js.TypeObject {
		return `{"ok":false,"checks":[],"notes":[],"failed":["no file"]}`
	}
	raw := make([]byte, args[0].Get("length").Int())
	js.CopyBytesToGo(raw, args[0])
	opts := verify.Options{
		SchemaNote: "index schema not checked in the browser: validating PIndex.xml against Unisincro_PIndex.xsd needs xmllint " +
			"(sportello verify --schema Unisincro_PIndex.xsd PACKAGE.zip)",
		SchemaNoteIT: "schema dell'indice non verificato nel browser: la validazione di PIndex.xml rispetto a Unisincro_PIndex.xsd richiede xmllint " +
			"(sportello verify --schema Unisincro_PIndex.xsd PACCHETTO.zip)",
	}
	if len(args) > 1 && args[1].Type() == js.TypeObject {
		opts.Fingerprint = stringOf(args[1].Get("fingerprint"))
		opts.TSAFingerprint = stringOf(args[1].Get("tsaFingerprint"))
	}
	out, err := json.Marshal(verify.File(raw, opts))
	if err != nil {
		return `{"ok":false,"checks":[],"notes":[],"failed":["report"]}`
	}
	return string(out)
}

func stringOf(v js.Value) string {
	if v.Type() != js.TypeString {
		return ""
	}
	return v.String()
}

// Package page is the public verification page (GET /verify): HTML, script and style, the
// toolchain's wasm_exec.js and package verify compiled to WebAssembly (verify/wasm), all
// embedded. The .wasm.gz and wasm_exec.js are generated and committed; CI regenerates them and
// fails on a difference (.ci/run).
package page

import "embed"

//go:generate go run ../../internal/wasmbuild -pkg ../wasm -out verify.wasm.gz -exec wasm_exec.js

// FS holds index.html, verify.js, verify.css, wasm_exec.js and verify.wasm.gz.
//
//go:embed index.html verify.js verify.css wasm_exec.js verify.wasm.gz
var FS embed.FS

// Command openapigen regenerates openapi.yaml from the swag annotations in api/. Run it through `go generate ./api`.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/sportello/sportello/internal/openapigen"
)

func main() {
	root := flag.String("root", ".", "repository root")
	flag.Parse()
	out, err := openapigen.Generate(*root)
	if err == nil {
		err = out.Write(*root)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "openapigen:", err)
		os.Exit(1)
	}
}

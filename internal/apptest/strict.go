package apptest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"mime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	sportello "github.com/sportello/sportello"
)

// strictContract validates JSON response bodies against an OpenAPI 3.0.3 document converted
// to JSON Schema (strict_schema.go), compiling each response's schema once.
type strictContract struct {
	doc map[string]any

	mu       sync.Mutex
	compiler *jsonschema.Compiler
	compiled map[string]compiledSchema // by "METHOD path status media-type"
}

// strictOpenAPI is the strict check of openapi.yaml.
var strictOpenAPI = sync.OnceValues(func() (*strictContract, error) {
	return newStrictContract(sportello.OpenAPI)
})

// newStrictContract reads an OpenAPI 3.0.3 document in YAML and converts its schemas.
func newStrictContract(spec []byte) (*strictContract, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(spec, &doc); err != nil {
		return nil, fmt.Errorf("strict check: %w", err)
	}
	defs, err := jsonDefinitions(doc)
	if err != nil {
		return nil, fmt.Errorf("strict check: components/schemas: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	c.AssertFormat() // draft 4 asserts formats anyway; said here so that a change of draft keeps it
	for _, f := range strictFormats {
		c.RegisterFormat(f)
	}
	if err := c.AddResource(componentsURL, asJSON(defs)); err != nil {
		return nil, fmt.Errorf("strict check: %w", err)
	}
	return &strictContract{doc: doc, compiler: c, compiled: map[string]compiledSchema{}}, nil
}

// check validates body, the JSON answer of operation method path (as openapi.yaml spells it)
// with status and Content-Type contentType. Nil when openapi.yaml declares no schema for it
// (kin-openapi's check reports undeclared answers) or declares raw bytes; otherwise a failure
// lists each place of the body that the schema refuses, as a JSON pointer.
func (sc *strictContract) check(method, path string, status int, contentType string, body []byte) error {
	schema, err := sc.schema(method, path, status, contentType)
	if err != nil || schema == nil {
		return err
	}
	value, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("the body is not JSON: %w", err)
	}
	var invalid *jsonschema.ValidationError
	if err := schema.Validate(value); err != nil {
		if !errors.As(err, &invalid) {
			return err
		}
		var leaves []string
		collectLeaves(invalid, &leaves)
		slices.Sort(leaves)
		return fmt.Errorf("%s", strings.Join(leaves, "\n"))
	}
	return nil
}

// schema compiles, once, the schema openapi.yaml declares for a JSON answer; nil if none.
func (sc *strictContract) schema(method, path string, status int, contentType string) (*jsonschema.Schema, error) {
	op, _ := dig(sc.doc, "paths", path, strings.ToLower(method)).(map[string]any)
	responses, _ := op["responses"].(map[string]any)
	code := strconv.Itoa(status)
	key := firstPresent(responses, code, code[:1]+"XX", "default")
	response := responses[key]
	if ref, ok := dig(response, "$ref").(string); ok {
		name, _ := strings.CutPrefix(ref, "#/components/responses/")
		response = dig(sc.doc, "components", "responses", name)
	}
	content, _ := dig(response, "content").(map[string]any)
	mt, _, _ := mime.ParseMediaType(contentType)
	media := firstPresent(content, mt, strings.Split(mt, "/")[0]+"/*", "*/*")
	raw := dig(content, media, "schema")
	if raw == nil || (dig(raw, "type") == "string" && dig(raw, "format") == "binary") {
		// OAS 3.0.3 describes a body of raw bytes (here, a file that may be JSON) as a binary
		// string: the bytes themselves, not a JSON string.
		return nil, nil
	}
	id := strings.Join([]string{method, path, key, media}, " ")
	sc.mu.Lock()
	defer sc.mu.Unlock()
	c, ok := sc.compiled[id]
	if !ok {
		c.schema, c.err = sc.compile(id, raw)
		sc.compiled[id] = c
	}
	return c.schema, c.err
}

// compile converts and compiles the schema raw of the answer id; the caller holds mu.
func (sc *strictContract) compile(id string, raw any) (*jsonschema.Schema, error) {
	converted, err := jsonSchema(raw, id)
	if err != nil {
		return nil, err
	}
	converted["$schema"] = draft4
	url := fmt.Sprintf("https://openapi.sportello.invalid/responses/%d.json", len(sc.compiled))
	if err := sc.compiler.AddResource(url, asJSON(converted)); err != nil {
		return nil, err
	}
	s, err := sc.compiler.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("%s: the converted schema does not compile: %w", id, err)
	}
	return s, nil
}

// compiledSchema is the outcome of compiling an answer's schema: a schema or why not.
type compiledSchema struct {
	schema *jsonschema.Schema
	err    error
}

// firstPresent returns the first of keys that m has, most specific first, as OAS 3.0.3 picks
// a response by status and a media type by Content-Type; "" if none.
func firstPresent(m map[string]any, keys ...string) string {
	for _, k := range keys {
		if m[k] != nil {
			return k
		}
	}
	return ""
}

// asJSON turns a converted schema into the JSON value the compiler takes (numbers as
// json.Number, as the YAML decoder gave ints and floats).
func asJSON(v any) any {
	data, err := json.Marshal(v)
	if err != nil {
		panic(err) // values decoded from YAML always marshal
	}
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		panic(err)
	}
	return out
}

// collectLeaves lists the innermost failures of a validation, each at its JSON pointer, in
// the validator's order (which follows map iteration: check sorts them).
func collectLeaves(e *jsonschema.ValidationError, leaves *[]string) {
	if len(e.Causes) > 0 {
		for _, c := range e.Causes {
			collectLeaves(c, leaves)
		}
		return
	}
	*leaves = append(*leaves, fmt.Sprintf("  at %s: %s", jsonPointer(e.InstanceLocation), e.ErrorKind.LocalizedString(englishPrinter)))
}

// englishPrinter renders the validator's messages.
var englishPrinter = message.NewPrinter(language.English)

// jsonPointer names a place in a JSON value (RFC 6901); "/" is the whole value.
func jsonPointer(location []string) string {
	if len(location) == 0 {
		return "/"
	}
	var b strings.Builder
	for _, tok := range location {
		b.WriteString("/" + pointerToken(tok))
	}
	return b.String()
}

// strictFormats asserts the OAS 3.0.3 formats JSON Schema does not define; date, date-time
// and uuid are the validator's own.
var strictFormats = []*jsonschema.Format{
	{Name: "byte", Validate: func(v any) error {
		if s, ok := v.(string); ok {
			_, err := base64.StdEncoding.DecodeString(s)
			return err
		}
		return nil
	}},
	{Name: "int32", Validate: integerIn(math.MinInt32, math.MaxInt32)},
	{Name: "int64", Validate: integerIn(math.MinInt64, math.MaxInt64)},
}

// integerIn asserts that a number is an integer within [lo, hi].
func integerIn(lo, hi int64) func(any) error {
	return func(v any) error {
		n, ok := v.(json.Number)
		if !ok {
			return nil
		}
		if _, err := strconv.ParseInt(n.String(), 10, 64); err != nil {
			return fmt.Errorf("not a 64-bit integer")
		}
		if i, _ := n.Int64(); i < lo || i > hi {
			return fmt.Errorf("out of [%d, %d]", lo, hi)
		}
		return nil
	}
}

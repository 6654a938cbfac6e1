package domain

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// formSchemaURL is the address a form schema's references resolve against. It is a name, not a
// place: nothing answers at .invalid (RFC 2606), and it is no file path, as the library's
// default (the working directory) would be, which would show in messages and make a relative
// reference a file of the server.
const formSchemaURL = "https://sportello.invalid/form_schema.json"

// outsideRefMessage says why a reference out of the schema is refused, without repeating where
// it pointed: a form schema is one self-contained document.
const outsideRefMessage = "refers outside the schema: only references within it (#/$defs/name, #anchor) are allowed"

// refusingLoader is the compiler's loader for every document beside the form schema itself: it
// loads none, so compiling never opens a file or dials an address, whatever the schema's $ref,
// $dynamicRef, $schema or $id say. The standard metaschemas are built into the library and
// never reach a loader. asked records what the schema tried to reach.
type refusingLoader struct{ asked []string }

func (l *refusingLoader) Load(url string) (any, error) {
	l.asked = append(l.asked, url)
	return nil, errOutsideSchema
}

// errOutsideSchema is what the loader answers; the client sees outsideRefMessage at the
// reference's place instead.
var errOutsideSchema = errors.New("outside the form schema")

// compileForm compiles a form schema (draft 2020-12 unless it names another with $schema).
// An error is a validation_failed *Error naming the failing place as "form_schema" and its
// JSON pointer.
func compileForm(schema json.RawMessage) (*jsonschema.Schema, error) {
	return compileFormWith(schema, &refusingLoader{})
}

// compileFormWith compiles schema with loader for anything outside it.
func compileFormWith(schema json.RawMessage, loader *refusingLoader) (*jsonschema.Schema, error) {
	var v Validation
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		v.Add("form_schema", "is not valid JSON: %v", err)
		return nil, v.Err()
	}
	c := jsonschema.NewCompiler()
	c.UseLoader(loader)
	if err := c.AddResource(formSchemaURL, doc); err != nil {
		v.Add("form_schema", "is not a valid JSON Schema: %s", withoutBase(err.Error()))
		return nil, v.Err()
	}
	compiled, err := c.Compile(formSchemaURL)
	if err == nil {
		return compiled, nil
	}
	var invalid *jsonschema.SchemaValidationError
	var leaves *jsonschema.ValidationError
	switch {
	case len(loader.asked) > 0:
		v.Add(schemaPointer(outsideReference(doc, nil)), outsideRefMessage)
	case errors.As(err, &invalid) && errors.As(invalid.Err, &leaves):
		// The metaschema checks a subschema at the place in the URL; leaves point within it.
		at := strings.TrimPrefix(strings.TrimPrefix(invalid.URL, formSchemaURL), "#")
		addSchemaLeaves(&v, "form_schema"+at, leaves)
	default:
		v.Add("form_schema", "is not a valid JSON Schema: %s", withoutBase(err.Error()))
	}
	return nil, v.Err()
}

// addFieldErrors records the field errors of a validation_failed err.
func addFieldErrors(v *Validation, err error) {
	var e *Error
	if errors.As(err, &e) {
		for _, f := range e.Fields {
			v.Add(f.Field, "%s", f.Message)
		}
	}
}

// addSchemaLeaves records the innermost causes of a schema's failing its metaschema.
func addSchemaLeaves(v *Validation, at string, e *jsonschema.ValidationError) {
	if len(e.Causes) > 0 {
		for _, c := range e.Causes {
			addSchemaLeaves(v, at, c)
		}
		return
	}
	v.Add(at+pointer(e.InstanceLocation), "is not a valid JSON Schema: %s", e.ErrorKind.LocalizedString(englishPrinter))
}

// withoutBase names the schema in a library message as the field it came in.
func withoutBase(msg string) string {
	return strings.ReplaceAll(msg, formSchemaURL, "form_schema")
}

// outsideReference finds where a schema refers outside itself, to name the place in the error:
// the first $ref, $dynamicRef or $recursiveRef not starting with '#', or $schema naming no
// json-schema.org draft. The values of const, enum, default and examples are data, not
// schemas, and the keys of properties or $defs are names, not keywords. Nil if none is found.
func outsideReference(v any, at []string) []string {
	if arr, ok := v.([]any); ok {
		for i, item := range arr {
			if loc := outsideReference(item, append(slices.Clip(at), strconv.Itoa(i))); loc != nil {
				return loc
			}
		}
		return nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		val, here := obj[k], append(slices.Clip(at), k)
		s, isString := val.(string)
		switch k {
		case "$ref", "$dynamicRef", "$recursiveRef":
			if isString && !strings.HasPrefix(s, "#") {
				return here
			}
		case "$schema":
			if isString && !strings.HasPrefix(s, "https://json-schema.org/") && !strings.HasPrefix(s, "http://json-schema.org/") {
				return here
			}
		case "const", "enum", "default", "examples":
			continue
		case "properties", "patternProperties", "$defs", "definitions", "dependentSchemas", "dependencies":
			if names, ok := val.(map[string]any); ok {
				for _, name := range slices.Sorted(maps.Keys(names)) {
					if loc := outsideReference(names[name], append(slices.Clip(here), name)); loc != nil {
						return loc
					}
				}
				continue
			}
		}
		if loc := outsideReference(val, here); loc != nil {
			return loc
		}
	}
	return nil
}

// schemaPointer names a place in the form schema: "form_schema" and its JSON pointer.
func schemaPointer(location []string) string { return "form_schema" + pointer(location) }

// pointer is the JSON pointer (RFC 6901) of location, "" for the whole document.
func pointer(location []string) string {
	var b strings.Builder
	for _, tok := range location {
		b.WriteString("/" + pointerEscaper.Replace(tok))
	}
	return b.String()
}

var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

// compiledForms caches compiled form schemas by their text: compiling costs more than
// validating, and a procedure's schema never changes once published.
var compiledForms sync.Map // string → *jsonschema.Schema

// compiledForm returns the compiled schema, compiling it once.
func compiledForm(schema json.RawMessage) (*jsonschema.Schema, error) {
	if c, ok := compiledForms.Load(string(schema)); ok {
		return c.(*jsonschema.Schema), nil
	}
	c, err := compileForm(schema)
	if err != nil {
		return nil, err
	}
	compiledForms.Store(string(schema), c)
	return c, nil
}

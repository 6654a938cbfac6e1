package apptest

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// The strict check converts openapi.yaml's schemas to JSON Schema draft 4 by the letter of OAS
// 3.0.3, so that a response kin-openapi lets through (it reads `nullable` generously) is still
// refused when a strict tool would refuse it. Draft 4 because OAS 3.0.3's Schema Object is
// defined on it (Wright draft 00 keeps draft 4's validation keywords): exclusiveMinimum and
// exclusiveMaximum are booleans there, and siblings of a $ref are ignored, as OAS 3.0.3 says of
// Reference Objects. Later drafts would need both rewritten.

// draft4 is the $schema of every converted schema.
const draft4 = "http://json-schema.org/draft-04/schema#"

// componentsURL is where the converted components/schemas live, as draft 4 definitions.
const componentsURL = "https://openapi.sportello.invalid/components.json"

// copiedKeywords mean the same in OAS 3.0.3 and draft 4 and are copied as they are.
var copiedKeywords = []string{
	"enum", "required", "minLength", "maxLength", "pattern", "minimum", "maximum",
	"exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minItems", "maxItems", "uniqueItems",
	"minProperties", "maxProperties",
}

// annotations are OAS 3.0.3 keywords that do not constrain a response: they are dropped, and
// so is every `x-` extension. readOnly only restricts requests.
var annotations = []string{
	"title", "description", "default", "example", "externalDocs", "deprecated", "xml",
	"discriminator", "readOnly",
}

// oasTypes are the values of `type` in OAS 3.0.3: one name, never "null" nor a list.
var oasTypes = []string{"string", "number", "integer", "boolean", "array", "object"}

// knownFormats are the formats a schema may name: OAS 3.0.3's own and those the validator
// asserts (see strictFormats). Any other is refused, as a format nothing would check.
var knownFormats = []string{
	"int32", "int64", "float", "double", "byte", "binary", "date", "date-time", "password",
	"uuid", "email", "uri", "hostname", "ipv4", "ipv6",
}

// jsonSchema converts one OAS 3.0.3 Schema Object, at names it for errors. A $ref to
// components/schemas becomes a reference to its definition in componentsURL.
func jsonSchema(schema any, at string) (map[string]any, error) {
	s, ok := schema.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: a schema is an object, not %T", at, schema)
	}
	if ref, ok := s["$ref"]; ok {
		name, found := strings.CutPrefix(fmt.Sprint(ref), "#/components/schemas/")
		if !found {
			return nil, fmt.Errorf("%s: $ref %v is not to components/schemas", at, ref)
		}
		return map[string]any{"$ref": componentsURL + "#/definitions/" + pointerToken(name)}, nil
	}
	out := map[string]any{}
	for _, key := range sortedKeys(s) {
		v := s[key]
		var err error
		switch {
		case key == "type":
			t, _ := v.(string)
			if !slices.Contains(oasTypes, t) {
				return nil, fmt.Errorf("%s: type %v is not an OAS 3.0.3 type", at, v)
			}
			out["type"] = t
		case key == "nullable":
			// Adds null to the `type` below; without a type it has no effect.
		case key == "format":
			if !slices.Contains(knownFormats, fmt.Sprint(v)) {
				return nil, fmt.Errorf("%s: format %v is neither OAS 3.0.3's nor one the check asserts", at, v)
			}
			out["format"] = v
		case key == "items" || key == "not":
			out[key], err = jsonSchema(v, at+"."+key)
		case key == "allOf" || key == "anyOf" || key == "oneOf":
			out[key], err = jsonSchemas(v, at+"."+key)
		case key == "properties":
			err = convertProperties(s, out, at)
		case key == "additionalProperties":
			if b, ok := v.(bool); ok {
				out[key] = b
			} else {
				out[key], err = jsonSchema(v, at+"."+key)
			}
		case key == "writeOnly":
			if v == true {
				return nil, fmt.Errorf("%s: writeOnly is handled only on a property", at)
			}
		case slices.Contains(copiedKeywords, key):
			if _, done := out[key]; !done { // convertProperties may have set required
				out[key] = v
			}
		case slices.Contains(annotations, key) || strings.HasPrefix(key, "x-"):
		default:
			return nil, fmt.Errorf("%s: %q is not a keyword of OAS 3.0.3's Schema Object", at, key)
		}
		if err != nil {
			return nil, err
		}
	}
	// OAS 3.0.3: "A true value adds "null" to the allowed types specified by the type keyword,
	// only if type is explicitly defined within the same Schema Object."
	if t, typed := out["type"]; typed && s["nullable"] == true {
		out["type"] = []any{t, "null"}
	}
	return out, nil
}

// convertProperties converts the properties of s into out. A writeOnly property "SHOULD NOT be
// sent as part of the response": it is refused in a response, and its being required applies
// to requests only.
func convertProperties(s, out map[string]any, at string) error {
	props, ok := s["properties"].(map[string]any)
	if !ok {
		return fmt.Errorf("%s: properties is not an object", at)
	}
	converted := map[string]any{}
	var writeOnly []string
	for name, p := range props {
		if ps, ok := p.(map[string]any); ok && ps["writeOnly"] == true && ps["$ref"] == nil {
			converted[name] = map[string]any{"not": map[string]any{}}
			writeOnly = append(writeOnly, name)
			continue
		}
		c, err := jsonSchema(p, at+"."+name)
		if err != nil {
			return err
		}
		converted[name] = c
	}
	out["properties"] = converted
	if req, ok := s["required"].([]any); ok && len(writeOnly) > 0 {
		out["required"] = slices.DeleteFunc(slices.Clone(req), func(r any) bool {
			return slices.Contains(writeOnly, fmt.Sprint(r))
		})
	}
	return nil
}

// jsonSchemas converts a list of schemas (allOf, anyOf, oneOf).
func jsonSchemas(v any, at string) ([]any, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s: not a list of schemas", at)
	}
	out := make([]any, len(list))
	for i, s := range list {
		c, err := jsonSchema(s, fmt.Sprintf("%s[%d]", at, i))
		if err != nil {
			return nil, err
		}
		out[i] = c
	}
	return out, nil
}

// jsonDefinitions converts components/schemas of the OAS document doc into the draft 4
// document served at componentsURL.
func jsonDefinitions(doc map[string]any) (map[string]any, error) {
	schemas, _ := dig(doc, "components", "schemas").(map[string]any)
	defs := map[string]any{}
	for _, name := range sortedKeys(schemas) {
		c, err := jsonSchema(schemas[name], name)
		if err != nil {
			return nil, err
		}
		defs[name] = c
	}
	return map[string]any{"$schema": draft4, "definitions": defs}, nil
}

// dig follows keys through nested objects; nil when one is missing.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// pointerToken escapes a name for a JSON pointer (RFC 6901).
func pointerToken(name string) string {
	return strings.ReplaceAll(strings.ReplaceAll(name, "~", "~0"), "/", "~1")
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

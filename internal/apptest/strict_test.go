package apptest

import (
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	sportello "github.com/sportello/sportello"
)

// strictSpec is an OAS 3.0.3 document with the forms the strict check must read by the letter.
const strictSpec = `
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /things:
    get:
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Thing'}
        default: {$ref: '#/components/responses/Problem'}
  /things/content:
    get:
      responses:
        "200":
          description: the bytes as uploaded, JSON or not
          content:
            '*/*':
              schema: {type: string, format: binary}
components:
  responses:
    Problem:
      description: a problem
      content:
        application/problem+json:
          schema:
            type: object
            required: [code]
            properties:
              code: {type: string, x-go-name: Code}
  schemas:
    Part:
      type: object
      required: [id]
      properties:
        id: {type: string, format: uuid}
    Thing:
      type: object
      additionalProperties: false
      required: [at, part]
      properties:
        at: {type: string, format: date-time, example: "2026-01-02T10:00:00Z"}
        on: {type: string, format: date}
        closed_at: {type: string, format: date-time, nullable: true}
        part:
          nullable: true
          allOf: [{$ref: '#/components/schemas/Part'}]
        maybe_part:
          anyOf:
            - {$ref: '#/components/schemas/Part'}
            - {type: object, nullable: true, enum: [null]}
        secret: {type: string, writeOnly: true}
        count: {type: integer, format: int32, minimum: 0, exclusiveMinimum: true}
`

// TestStrictCheck validates bodies against strictSpec: what OAS 3.0.3 allows passes, and each
// refusal names the place in the body.
func TestStrictCheck(t *testing.T) {
	sc, err := newStrictContract([]byte(strictSpec))
	if err != nil {
		t.Fatal(err)
	}
	const part = `{"id":"6f1c1b8e-4d5a-4c1e-9a57-0c6b3f3c2a10"}`
	for _, tc := range []struct {
		name, path, body string
		status           int
		refused          string // "" when the body is allowed
	}{
		{"BinaryContentNotReadAsJSON", "/things/content", `{"a":1}`, 200, ""},
		{"Allowed", "/things", `{"at":"2026-01-02T10:00:00Z","on":"2026-01-02","part":` + part + `,"count":3}`, 200, ""},
		{"NullableTypedAcceptsNull", "/things", `{"at":"2026-01-02T10:00:00Z","closed_at":null,"part":` + part + `}`, 200, ""},
		{"AnyOfRefOrNullAcceptsNull", "/things", `{"at":"2026-01-02T10:00:00Z","part":` + part + `,"maybe_part":null}`, 200, ""},
		{"ErrNullableAllOfRefRefusesNull", "/things", `{"at":"2026-01-02T10:00:00Z","part":null}`, 200, "at /part: got null, want object"},
		{"ErrBadDateTime", "/things", `{"at":"2026-01-02 10:00","part":` + part + `}`, 200, "at /at: '2026-01-02 10:00' is not valid date-time"},
		{"ErrBadDate", "/things", `{"at":"2026-01-02T10:00:00Z","on":"2026-02-30","part":` + part + `}`, 200, "at /on: '2026-02-30' is not valid date"},
		{"ErrBadUUIDInReference", "/things", `{"at":"2026-01-02T10:00:00Z","part":{"id":"x"}}`, 200, "at /part/id: 'x' is not valid uuid"},
		{"ErrAdditionalProperty", "/things", `{"at":"2026-01-02T10:00:00Z","part":` + part + `,"extra":1}`, 200, "at /: additional properties 'extra' not allowed"},
		{"ErrWriteOnlyInResponse", "/things", `{"at":"2026-01-02T10:00:00Z","part":` + part + `,"secret":"s"}`, 200, "at /secret: 'not' failed"},
		{"ErrExclusiveMinimum", "/things", `{"at":"2026-01-02T10:00:00Z","part":` + part + `,"count":0}`, 200, "at /count: exclusiveMinimum: got 0, want 0"},
		{"ErrInt32Range", "/things", `{"at":"2026-01-02T10:00:00Z","part":` + part + `,"count":2147483648}`, 200, "at /count: 2147483648 is not valid int32: out of [-2147483648, 2147483647]"},
		{"ErrDefaultResponseByReference", "/things", `{"code":1}`, 500, "at /code: got number, want string"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mt := "application/json"
			if tc.status != 200 {
				mt = "application/problem+json"
			}
			err := sc.check("GET", tc.path, tc.status, mt, []byte(tc.body))
			switch {
			case tc.refused == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.refused != "" && (err == nil || !strings.Contains(err.Error(), tc.refused)):
				t.Errorf("got %v, want a refusal with %q", err, tc.refused)
			}
		})
	}
}

// TestStrictCheckRefusesUnknownKeywords: a keyword OAS 3.0.3's Schema Object does not have is
// refused rather than ignored, so that the check never reads less than a strict tool.
func TestStrictCheckRefusesUnknownKeywords(t *testing.T) {
	for _, tc := range []struct{ name, schema, refused string }{
		{"ErrConst", `{type: string, const: a}`, `"const" is not a keyword`},
		{"ErrTypeList", `{type: [string, "null"]}`, "is not an OAS 3.0.3 type"},
		{"ErrUnknownFormat", `{type: string, format: colour}`, "format colour"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s any
			if err := yaml.Unmarshal([]byte(tc.schema), &s); err != nil {
				t.Fatal(err)
			}
			if _, err := jsonSchema(s, "S"); err == nil || !strings.Contains(err.Error(), tc.refused) {
				t.Errorf("got %v, want an error with %q", err, tc.refused)
			}
		})
	}
}

// TestStrictCheckCompilesOpenAPI converts and compiles every JSON response schema openapi.yaml
// declares, so that a schema the conversion cannot read fails here, not in some API test.
func TestStrictCheckCompilesOpenAPI(t *testing.T) {
	sc, err := newStrictContract(sportello.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	paths, _ := sc.doc["paths"].(map[string]any)
	n := 0
	for path, item := range paths {
		ops, _ := item.(map[string]any)
		for method, op := range ops {
			responses, _ := dig(op, "responses").(map[string]any)
			for status := range responses {
				code, err := strconv.Atoi(strings.ReplaceAll(status, "X", "0"))
				if status == "default" {
					code, err = 599, nil // answers no other entry claims
				}
				if err != nil {
					t.Fatalf("%s %s: status %q", method, path, status)
				}
				content, _ := dig(responses[status], "content").(map[string]any)
				if ref, ok := dig(responses[status], "$ref").(string); ok {
					content, _ = dig(sc.doc, "components", "responses", strings.TrimPrefix(ref, "#/components/responses/"), "content").(map[string]any)
				}
				for mt := range content {
					if _, err := sc.schema(strings.ToUpper(method), path, code, mt); err != nil {
						t.Error(err)
					}
					n++
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no response schemas found in openapi.yaml")
	}
}

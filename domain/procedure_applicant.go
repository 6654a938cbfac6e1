package domain

import (
	"encoding/json"
	"sort"
	"strings"
)

// ApplicantKeyword marks, in a procedure's form schema, a property that holds the applicant's
// own tax identifier (codice fiscale or partita IVA): `{"type": "string", "x-applicant": true}`.
// JSON Schema ignores keywords it does not know, so the mark changes no validation; it lets a
// case refuse a form filed under one applicant that names another as itself. Only properties
// reached from the root through `properties` are marked: they name one value each.
const ApplicantKeyword = "x-applicant"

// applicantFields returns the JSON pointers (RFC 6901) of the properties the form schema marks
// with ApplicantKeyword, in a stable order.
func applicantFields(schema json.RawMessage) []string {
	var root any
	if err := json.Unmarshal(schema, &root); err != nil {
		return nil
	}
	var out []string
	var walk func(node any, pointer string)
	walk = func(node any, pointer string) {
		obj, ok := node.(map[string]any)
		if !ok {
			return
		}
		if obj[ApplicantKeyword] == true && pointer != "" {
			out = append(out, pointer)
		}
		props, _ := obj["properties"].(map[string]any)
		for name, sub := range props {
			walk(sub, pointer+"/"+strings.NewReplacer("~", "~0", "/", "~1").Replace(name))
		}
	}
	walk(root, "")
	sort.Strings(out)
	return out
}

// checkApplicantFields refuses a form whose marked applicant fields (see ApplicantKeyword) do
// not hold the applicant the portal acts for, compared trimmed and in upper case. A marked
// field the form leaves out is the schema's concern (required), not this check's. Returns
// validation_failed naming each field as "form/<JSON pointer>".
func checkApplicantFields(proc Procedure, form json.RawMessage, applicant string) error {
	fields := applicantFields(proc.FormSchema)
	if len(fields) == 0 || len(form) == 0 {
		return nil
	}
	var doc any
	if err := json.Unmarshal(form, &doc); err != nil {
		return Invalid("form", "is not valid JSON: %v", err)
	}
	var v Validation
	for _, pointer := range fields {
		value, present := lookupPointer(doc, pointer)
		if !present {
			continue
		}
		s, isString := value.(string)
		if !isString || strings.ToUpper(strings.TrimSpace(s)) != applicant {
			v.Add("form"+pointer, "must be the applicant named in %s (%s): a form is filed by its own applicant", ApplicantHeader, applicant)
		}
	}
	return v.Err()
}

// lookupPointer returns the value at an object-only JSON pointer in doc, and whether it is there.
func lookupPointer(doc any, pointer string) (any, bool) {
	node := doc
	for _, tok := range strings.Split(pointer, "/")[1:] {
		obj, ok := node.(map[string]any)
		if !ok {
			return nil, false
		}
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		if node, ok = obj[tok]; !ok {
			return nil, false
		}
	}
	return node, true
}

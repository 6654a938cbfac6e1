package openapigen

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/sportello/sportello/domain"
)

// patternExtension names, on a field or a parameter, the domain pattern its values must match
// (domain.Patterns): swag has no tag for `pattern`, and the expression must be the one
// validation uses, not a copy.
const patternExtension = "x-pattern"

// patterns replaces every x-pattern of the document's schemas and parameters by the named
// domain pattern; for an array, its items must match.
func patterns(doc *openapi3.T) error {
	for name, s := range doc.Components.Schemas {
		for prop, p := range s.Value.Properties {
			if p.Ref != "" || p.Value == nil {
				continue
			}
			if err := resolvePattern(p.Value); err != nil {
				return fmt.Errorf("%s.%s: %w", name, prop, err)
			}
		}
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			for _, p := range op.Parameters {
				if p.Value == nil || p.Value.Schema == nil || p.Value.Schema.Value == nil {
					continue
				}
				if name, ok := p.Value.Extensions[patternExtension]; ok {
					delete(p.Value.Extensions, patternExtension)
					p.Value.Schema.Value.Extensions = map[string]any{patternExtension: name}
				}
				if err := resolvePattern(p.Value.Schema.Value); err != nil {
					return fmt.Errorf("%s %s parameter %s: %w", method, path, p.Value.Name, err)
				}
			}
		}
	}
	return nil
}

func resolvePattern(s *openapi3.Schema) error {
	name, ok := s.Extensions[patternExtension].(string)
	if !ok {
		return nil
	}
	re, ok := domain.Patterns[name]
	if !ok {
		return fmt.Errorf("no domain pattern %q", name)
	}
	delete(s.Extensions, patternExtension)
	if len(s.Extensions) == 0 {
		s.Extensions = nil
	}
	if s.Type.Is("array") && s.Items != nil && s.Items.Value != nil {
		s = s.Items.Value
	}
	s.Pattern = re.String()
	return nil
}

// limitTags reads, for the types openapi3gen describes, the limits swag reads from struct tags
// (maxLength, minLength, minimum, maximum, validate min/max on arrays) and the x-pattern
// extension. openapi3gen passes an array's tag on to its items: the items take the string
// limits, the array its own.
func limitTags(t reflect.Type, tag reflect.StructTag, s *openapi3.Schema) error {
	switch t.Kind() {
	case reflect.String:
		return stringLimits(tag, s)
	case reflect.Int, reflect.Int64:
		for name, bound := range map[string]**float64{"minimum": &s.Min, "maximum": &s.Max} {
			if v := tag.Get(name); v != "" {
				f, err := strconv.ParseFloat(v, 64)
				if err != nil {
					return fmt.Errorf("%s: %w", name, err)
				}
				*bound = &f
			}
		}
	case reflect.Slice:
		for _, rule := range strings.Split(tag.Get("validate"), ",") {
			key, v, _ := strings.Cut(rule, "=")
			if key != "min" && key != "max" {
				continue
			}
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return fmt.Errorf("validate %s: %w", rule, err)
			}
			if key == "min" {
				s.MinItems = n
			} else {
				s.MaxItems = &n
			}
		}
	}
	return nil
}

func stringLimits(tag reflect.StructTag, s *openapi3.Schema) error {
	for name, bound := range map[string]*uint64{"maxLength": nil, "minLength": &s.MinLength} {
		v := tag.Get(name)
		if v == "" {
			continue
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if bound == nil {
			s.MaxLength = &n
		} else {
			*bound = n
		}
	}
	for _, ext := range strings.Split(tag.Get("extensions"), ",") {
		if name, ok := strings.CutPrefix(ext, patternExtension+"="); ok {
			re, ok := domain.Patterns[name]
			if !ok {
				return fmt.Errorf("no domain pattern %q", name)
			}
			s.Pattern = re.String()
		}
	}
	return nil
}

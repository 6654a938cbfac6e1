package search

import (
	"encoding/base64"
	"encoding/json"
	"strconv"

	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/sportello/sportello/domain"
)

// cursor is what NextCursor encodes: the sort values of the last hit of a page, handed back to
// bleve as SearchAfter. It is opaque to clients (base64 of JSON) and names its sort order, so a
// cursor cannot be replayed with another one. Only the text the server writes is accepted:
// one page, one cursor.
type cursor struct {
	Sort  string   `json:"s"`
	After []string `json:"a"`
}

func encodeCursor(sort string, last *bsearch.DocumentMatch) string {
	order := sortOrder(sort)
	after := make([]string, len(order))
	for i, s := range order {
		switch s.(type) {
		case *bsearch.SortScore:
			after[i] = scoreText(last.Score)
		default:
			after[i] = last.Sort[i]
		}
	}
	return cursor{Sort: sort, After: after}.String()
}

func (c cursor) String() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor returns the SearchAfter values of s, nil for the first page.
func decodeCursor(s, sort string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	bad := domain.Errorf(domain.ECValidation, "invalid cursor")
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, bad
	}
	var c cursor
	if err := json.Unmarshal(raw, &c); err != nil || c.Sort != sort || len(c.After) != len(sortOrder(sort)) {
		return nil, bad
	}
	for i, o := range sortOrder(sort) {
		if _, ok := o.(*bsearch.SortScore); ok {
			score, err := strconv.ParseFloat(c.After[i], 64)
			if err != nil || scoreText(score) != c.After[i] {
				return nil, bad
			}
		}
	}
	if c.String() != s {
		return nil, bad
	}
	return c.After, nil
}

package search

import (
	"encoding/base64"
	"encoding/json"
	"strconv"

	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/sportello/sportello/domain"
)

// cursor is what NextCursor encodes: the sort values of the last hit of a page, handed back to
// bleve as SearchAfter, and for relevance the oldest month the first page examined, so that
// the next pages rank the same matches (From, a month key; absent when the first page examined
// every month it needed). A date cursor needs no month: its date is where the next page
// starts. It is opaque to clients (base64 of JSON) and names its sort order, so a cursor
// cannot be replayed with another one. Only the text the server writes is accepted: one page,
// one cursor. Cursors written before From existed decode as ones without it.
type cursor struct {
	Sort  string   `json:"s"`
	After []string `json:"a"`
	From  int      `json:"f,omitempty"`
}

func encodeCursor(sort string, last *bsearch.DocumentMatch, from int) string {
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
	if sort == SortDate {
		from = 0
	}
	return cursor{Sort: sort, After: after, From: from}.String()
}

func (c cursor) String() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor returns the cursor s, the zero cursor (no After) for the first page.
func decodeCursor(s, sort string) (cursor, error) {
	if s == "" {
		return cursor{}, nil
	}
	bad := domain.Errorf(domain.ECValidation, "invalid cursor")
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, bad
	}
	var c cursor
	if err := json.Unmarshal(raw, &c); err != nil || c.Sort != sort || len(c.After) != len(sortOrder(sort)) {
		return cursor{}, bad
	}
	for i, o := range sortOrder(sort) {
		if _, ok := o.(*bsearch.SortScore); ok {
			score, err := strconv.ParseFloat(c.After[i], 64)
			if err != nil || scoreText(score) != c.After[i] {
				return cursor{}, bad
			}
		}
	}
	if c.From != 0 && (sort == SortDate || c.From < 100 || c.From > 999912 || c.From%100 > 12) {
		return cursor{}, bad
	}
	if c.String() != s {
		return cursor{}, bad
	}
	return c, nil
}

package api

import (
	"net/url"
	"regexp"
	"slices"
	"strconv"

	"github.com/sportello/sportello/domain"
)

var positiveInt = regexp.MustCompile(`^[0-9]{1,9}$`)

// checkQuery records every parameter of q that is not allowed, or given more than once: a typo
// in a filter must not silently widen a list.
func checkQuery(v *domain.Validation, q url.Values, allowed []string) {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		switch {
		case !slices.Contains(allowed, k):
			v.Add(k, "unknown query parameter; the parameters are %v", allowed)
		case len(q[k]) > 1:
			v.Add(k, "must be given once")
		}
	}
}

// yearQuery reads the optional `year` parameter.
func yearQuery(v *domain.Validation, q url.Values) int {
	s := q.Get("year")
	if s == "" {
		return 0
	}
	if !yearParam.MatchString(s) {
		v.Add("year", "must be a four-digit year")
	}
	n, _ := strconv.Atoi(s)
	return n
}

// limitQuery reads the optional `limit` parameter, 1 to max; 0 when absent.
func limitQuery(v *domain.Validation, q url.Values, max int) int {
	s := q.Get("limit")
	if s == "" {
		return 0
	}
	n, _ := strconv.Atoi(s)
	if !positiveInt.MatchString(s) || n < 1 || n > max {
		v.Add("limit", "must be between 1 and %d", max)
	}
	return n
}

// boolQuery reads a query parameter that is true or false; absent is false.
func boolQuery(v *domain.Validation, q url.Values, name string) bool {
	switch q.Get(name) {
	case "", "false":
		return false
	case "true":
		return true
	}
	v.Add(name, "must be true or false")
	return false
}

package domain

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Class is a voce di titolario: a node of the hierarchical classification scheme (C2), a titolo
// (level 1, `VI`), a classe (level 2, `VI.3`) or a sottoclasse (level 3, `VI.3.2`).
//
// The scheme is versioned by validity dates rather than edited: a class is never deleted or
// renamed in place, it is closed from a date (ValidTo is then the last day it is valid) and
// optionally replaced by another code. Documents classified under a closed code keep resolving
// to it, so reads never fail for old codes; only new classifications are refused.
type Class struct {
	Code        string
	Parent      string // "" for a titolo
	Level       int    // 1 titolo, 2 classe, 3 sottoclasse
	Title       string
	Description string
	// RetentionYears is the retention period of the piano di conservazione (C4), in years;
	// nil when the class is permanent or its retention is not set yet.
	RetentionYears *int
	// RetentionPermanent says the class keeps its documents permanently. With neither it nor
	// RetentionYears the retention is not set yet (RetentionSet): like a permanent class,
	// nothing under it is ever due for disposal — nothing is disposed of without a decision —
	// but it is on the worklist of classes without retention until a records officer sets it.
	RetentionPermanent bool
	ValidFrom          string // YYYY-MM-DD, first day the class may be used
	ValidTo            string // YYYY-MM-DD, last day it may be used; "" while open
	ReplacedBy         string // the code that takes over a closed class, if any
	CreatedAt          time.Time
}

// MaxRetentionYears is the longest retention period in years; beyond it a class is permanent.
const MaxRetentionYears = 999

// RetentionSet reports whether the class's retention has been decided: a period in years, or
// permanent.
func (c Class) RetentionSet() bool { return c.RetentionYears != nil || c.RetentionPermanent }

// MaxClassLevel is the deepest level of the scheme: titolo → classe → sottoclasse.
const MaxClassLevel = 3

// ValidOn reports whether the class may be used for a document dated date (YYYY-MM-DD). Dates
// in this form compare as text.
func (c Class) ValidOn(date string) bool {
	return c.ValidFrom <= date && (c.ValidTo == "" || date <= c.ValidTo)
}

// covers reports whether c is valid over the whole validity of child, as a parent must be.
func (c Class) covers(child Class) bool {
	if c.ValidFrom > child.ValidFrom {
		return false
	}
	return c.ValidTo == "" || (child.ValidTo != "" && child.ValidTo <= c.ValidTo)
}

// ClassParent returns the parent code that code's shape implies: `VI` for `VI.3`, "" for `VI`.
func ClassParent(code string) string {
	i := strings.LastIndexByte(code, '.')
	if i < 0 {
		return ""
	}
	return code[:i]
}

// ClassLevel returns the level that code's shape implies: the number of its segments.
func ClassLevel(code string) int { return strings.Count(code, ".") + 1 }

// Validate checks one class on its own; field names are prefixed with prefix (`[3].`, `row 4: `).
// It fills in Parent and Level from the code when they are empty.
func (c *Class) Validate(v *Validation, prefix string) {
	c.Code, c.Parent = strings.TrimSpace(c.Code), strings.TrimSpace(c.Parent)
	c.Title, c.Description = strings.TrimSpace(c.Title), strings.TrimSpace(c.Description)
	if !ValidClass(c.Code) {
		v.Add(prefix+"code", "must be a classification code such as VI, VI.3 or VI.3.2, not %q", c.Code)
		return
	}
	if c.Level == 0 {
		c.Level = ClassLevel(c.Code)
	}
	if c.Level != ClassLevel(c.Code) || c.Level > MaxClassLevel {
		v.Add(prefix+"level", "code %s is at level %d (at most %d), not %d", c.Code, ClassLevel(c.Code), MaxClassLevel, c.Level)
	}
	if want := ClassParent(c.Code); c.Parent != want {
		if want == "" {
			v.Add(prefix+"parent", "a titolo (%s) has no parent, not %q", c.Code, c.Parent)
		} else {
			v.Add(prefix+"parent", "the parent of %s is %s, not %q", c.Code, want, c.Parent)
		}
	}
	if c.Title == "" {
		v.Add(prefix+"title", "is required")
	}
	if c.RetentionYears != nil && (*c.RetentionYears < 1 || *c.RetentionYears > MaxRetentionYears) {
		v.Add(prefix+"retention_years", "must be between 1 and %d years (or the class permanent, or empty while not set)", MaxRetentionYears)
	}
	if c.RetentionYears != nil && c.RetentionPermanent {
		v.Add(prefix+"retention_years", "a permanent class has no retention period in years")
	}
	if !ValidDate(c.ValidFrom) {
		v.Add(prefix+"valid_from", "must be a date YYYY-MM-DD")
	}
	if c.ValidTo != "" && (!ValidDate(c.ValidTo) || c.ValidTo < c.ValidFrom) {
		v.Add(prefix+"valid_to", "must be a date YYYY-MM-DD not before valid_from")
	}
	if c.ReplacedBy != "" && (!ValidClass(c.ReplacedBy) || c.ReplacedBy == c.Code || c.ValidTo == "") {
		v.Add(prefix+"replaced_by", "must be another classification code, and only for a closed class")
	}
}

// SortClasses sorts classes in scheme order — titoli by Roman numeral, then classes by number,
// parents before children (`I` < `I.2` < `I.10` < `II`) — computing each code's sort key once:
// a whole scheme is sorted on every listing.
func SortClasses(cs []Class) {
	type keyed struct {
		key []int
		i   int
	}
	ks := make([]keyed, len(cs))
	for i, c := range cs {
		ks[i] = keyed{classOrder(c.Code), i}
	}
	slices.SortFunc(ks, func(a, b keyed) int {
		if c := slices.Compare(a.key, b.key); c != 0 {
			return c
		}
		return strings.Compare(cs[a.i].Code, cs[b.i].Code)
	})
	sorted := make([]Class, len(cs))
	for i, k := range ks {
		sorted[i] = cs[k.i]
	}
	copy(cs, sorted)
}

// classOrder is the sort key of a code: the titolo's Roman numeral as a number, then each
// segment's number.
func classOrder(code string) []int {
	key := make([]int, 0, MaxClassLevel)
	titolo, rest, more := strings.Cut(code, ".")
	key = append(key, romanValue(titolo))
	for more {
		var seg string
		seg, rest, more = strings.Cut(rest, ".")
		n, _ := strconv.Atoi(seg)
		key = append(key, n)
	}
	return key
}

// romanValue reads a Roman numeral; titoli are numbered I–XIV in the national model.
func romanValue(s string) int {
	digit := func(b byte) int {
		switch b {
		case 'I':
			return 1
		case 'V':
			return 5
		case 'X':
			return 10
		case 'L':
			return 50
		case 'C':
			return 100
		}
		return 0
	}
	n := 0
	for i := range len(s) {
		v := digit(s[i])
		if i+1 < len(s) && digit(s[i+1]) > v {
			n -= v
		} else {
			n += v
		}
	}
	return n
}

// ClassNode is a class with its children, for browsing the scheme as a tree.
type ClassNode struct {
	Class
	Children []ClassNode
}

// ClassTree nests classes under their parents, keeping the order of cs (scheme order, as
// Service.Classes returns them). A class whose parent is not in cs (the root of a subtree) is a
// root.
func ClassTree(sorted []Class) []ClassNode {
	present := make(map[string]bool, len(sorted))
	children := make(map[string][]Class, len(sorted))
	var roots []Class
	for _, c := range sorted {
		present[c.Code] = true
	}
	for _, c := range sorted {
		if c.Parent != "" && present[c.Parent] {
			children[c.Parent] = append(children[c.Parent], c)
		} else {
			roots = append(roots, c)
		}
	}
	var build func([]Class) []ClassNode
	build = func(cs []Class) []ClassNode {
		out := make([]ClassNode, 0, len(cs))
		for _, c := range cs {
			out = append(out, ClassNode{Class: c, Children: build(children[c.Code])})
		}
		return out
	}
	return build(roots)
}

// ClassFilter selects classes. On (YYYY-MM-DD) keeps those valid on that date; Under keeps a
// class and its descendants. Zero fields do not filter.
type ClassFilter struct {
	On    string
	Under string
}

// ClassDetail is one class with the path from its titolo down to it and its direct children.
type ClassDetail struct {
	Class     Class
	Ancestors []Class // titolo first
	Children  []Class
}

// classKey is the resource id recorded for an idempotent bulk creation: the codes, in order.
func classKey(cs []Class) string {
	codes := make([]string, len(cs))
	for i, c := range cs {
		codes[i] = c.Code
	}
	return strings.Join(codes, ",")
}

// validityText describes a class's validity for error messages.
func (c Class) validityText() string {
	s := fmt.Sprintf("valid from %s", c.ValidFrom)
	if c.ValidTo != "" {
		s += " to " + c.ValidTo
	}
	if c.ReplacedBy != "" {
		s += ", replaced by " + c.ReplacedBy
	}
	return s
}

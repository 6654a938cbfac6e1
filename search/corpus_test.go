package search

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/sportello/sportello/internal/corpus"
)

// A generated corpus of plausible protocol registrations of an Italian municipality, for the
// benchmarks: subjects are built from the phrases clerks actually write.
var (
	corpusActions   = corpus.Actions
	corpusObjects   = corpus.Objects
	corpusPlaces    = corpus.Places
	corpusFirst     = corpus.First
	corpusLast      = corpus.Last
	corpusOrgs      = corpus.Orgs
	corpusClasses   = corpus.Classes
	corpusOffices   = corpus.Offices
	corpusChannels  = []string{"web", "pec", "email", "counter", "paper", "post", "api"}
	corpusDirection = []string{"incoming", "incoming", "incoming", "outgoing", "internal"}
	corpusYears     = []int{2021, 2022, 2023, 2024, 2025, 2026}
)

// corpusDoc returns the i-th document of the generated corpus; the same i gives the same document.
func corpusDoc(i int) Document {
	r := rand.New(rand.NewPCG(uint64(i), 42))
	pick := func(s []string) string { return s[r.IntN(len(s))] }
	year := corpusYears[i%len(corpusYears)]
	date := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, r.IntN(365))
	register := "PG"
	if r.IntN(10) == 0 {
		register = "DET"
	}
	number := int64(i/len(corpusYears) + 1)
	subject := fmt.Sprintf("%s %s %s %d", pick(corpusActions), pick(corpusObjects), pick(corpusPlaces), r.IntN(200)+1)
	person := pick(corpusFirst) + " " + pick(corpusLast)
	d := Document{
		Kind: KindRegistration, ID: fmt.Sprintf("bench-%d", i), Register: register, Year: year, Number: number,
		Ref:        fmt.Sprintf("%s/%d/%07d", register, year, number),
		Identifier: fmt.Sprintf("c_h501-A1B2C3D-%s-%d-%07d", register, year, number),
		Date:       date, RegisteredAt: date.Add(time.Duration(8+r.IntN(9)) * time.Hour),
		Direction: pick(corpusDirection), Channel: pick(corpusChannels), Class: pick(corpusClasses),
		Offices: []string{pick(corpusOffices)}, Status: "active", Confidential: r.IntN(50) == 0,
		CreatedBy: fmt.Sprintf("op%d", r.IntN(20)), Subject: subject,
		Correspondents: []string{person, pick(corpusOrgs)}, Position: int64(i + 1),
	}
	if r.IntN(5) == 0 {
		d.Text = strings.Join([]string{"Con la presente si trasmette", strings.ToLower(subject),
			"come richiesto da", person, "ai sensi della normativa vigente. Distinti saluti."}, " ")
	}
	return d
}

// corpusSpread lays n documents of the corpus over the last months months of 2021–2026, as a
// register fills them: in up to six streams side by side (one per year when months is 72, as
// the scale fill's writers do, storage/scale_test.go), each in date order, numbers following
// dates. A feed batch so holds a few days of each stream and touches a few month shards, as
// the change feed of a live register or a reindex does; corpusDoc's own dates, random within
// the year, scatter every batch over all months instead.
type corpusSpread struct{ n, months int }

// doc returns the i-th document: corpusDoc(i) with its date, year and number in its place.
func (c corpusSpread) doc(i int) Document {
	d := corpusDoc(i)
	streams := min(6, c.months)
	s, j := i%streams, i/streams
	per := (c.n + streams - 1) / streams
	first := s * c.months / streams
	start := time.Date(2021, time.Month(1+72-c.months+first), 1, 0, 0, 0, 0, time.UTC)
	end := time.Date(2021, time.Month(1+72-c.months+(s+1)*c.months/streams), 1, 0, 0, 0, 0, time.UTC)
	days := int(end.Sub(start).Hours() / 24)
	date := start.AddDate(0, 0, j*days/per)
	d.RegisteredAt = date.Add(d.RegisteredAt.Sub(d.Date))
	d.Date, d.Year, d.Number = date, date.Year(), int64(i+1)
	d.Ref = fmt.Sprintf("%s/%d/%07d", d.Register, d.Year, d.Number)
	d.Identifier = fmt.Sprintf("c_h501-A1B2C3D-%s-%d-%07d", d.Register, d.Year, d.Number)
	return d
}

package search

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// A generated corpus of plausible protocol registrations of an Italian municipality, for the
// benchmarks: subjects are built from the phrases clerks actually write.
var (
	corpusActions = []string{
		"Richiesta di", "Trasmissione", "Istanza per", "Comunicazione relativa a", "Rilascio di",
		"Autorizzazione per", "Segnalazione di", "Determina di approvazione", "Ordinanza relativa a",
		"Parere su", "Sollecito per", "Integrazione documentale per", "Diniego di", "Avvio del procedimento di",
		"Convocazione conferenza di servizi per", "Ricorso avverso", "Liquidazione fattura per",
	}
	corpusObjects = []string{
		"certificato di residenza", "permesso di costruire", "occupazione di suolo pubblico",
		"contributo economico straordinario", "iscrizione al servizio mensa scolastica",
		"variazione anagrafica", "pubblicità stradale", "manutenzione delle strade comunali",
		"accesso agli atti amministrativi", "rimborso TARI", "cambio di residenza",
		"autorizzazione paesaggistica", "SCIA per attività commerciale", "trasporto scolastico",
		"concessione di loculo cimiteriale", "carta d'identità elettronica", "contrassegno disabili",
		"potatura alberi nel parco pubblico", "sanzione al codice della strada", "assegno di maternità",
		"abusi edilizi", "verifica impianti termici", "bonus idrico", "agibilità dell'edificio",
		"lavori di riqualificazione della piazza", "fornitura di arredi scolastici", "polizza assicurativa",
	}
	corpusPlaces = []string{
		"in via Roma", "in via Garibaldi", "in piazza Cavour", "in corso Italia", "in via dei Mille",
		"presso la scuola primaria Collodi", "in località San Martino", "presso il cimitero comunale",
		"nel centro storico", "in viale della Repubblica",
	}
	corpusFirst = []string{"Mario", "Giulia", "Luca", "Francesca", "Giuseppe", "Anna", "Marco", "Chiara",
		"Antonio", "Sara", "Paolo", "Elena", "Davide", "Martina", "Stefano", "Laura"}
	corpusLast = []string{"Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci",
		"Marino", "Greco", "Bruno", "Gallo", "Conti", "De Luca", "Mancini", "Costa"}
	corpusOrgs = []string{"Regione Lazio", "ASL Roma 1", "Prefettura di Roma", "INPS sede di Roma",
		"Edilizia Moderna S.r.l.", "Studio Tecnico Associato", "Agenzia delle Entrate", "Vigili del Fuoco"}
	corpusClasses   = []string{"I.1", "I.6", "II.4", "III.1", "IV.3", "VI.1", "VI.3", "VI.3.2", "VI.5", "VII.1", "VII.4", "IX.2", "X.4", "XI.1"}
	corpusOffices   = []string{"ANA", "TEC", "PER", "RAG", "SOC", "PM", "SEG", "URP"}
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

// Package corpus holds the words of a generated corpus of plausible protocol registrations of
// an Italian municipality, built from the phrases clerks actually write: the search benchmarks
// (search) and the scale benchmarks (storage) draw their subjects, correspondents, classes and
// offices from it.
package corpus

// The parts of a subject ("Richiesta di" + "permesso di costruire" + "in via Roma"), of a
// correspondent (a first and last name, or an organisation), and the classes and offices.
var (
	Actions = []string{
		"Richiesta di", "Trasmissione", "Istanza per", "Comunicazione relativa a", "Rilascio di",
		"Autorizzazione per", "Segnalazione di", "Determina di approvazione", "Ordinanza relativa a",
		"Parere su", "Sollecito per", "Integrazione documentale per", "Diniego di", "Avvio del procedimento di",
		"Convocazione conferenza di servizi per", "Ricorso avverso", "Liquidazione fattura per",
	}
	Objects = []string{
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
	Places = []string{
		"in via Roma", "in via Garibaldi", "in piazza Cavour", "in corso Italia", "in via dei Mille",
		"presso la scuola primaria Collodi", "in località San Martino", "presso il cimitero comunale",
		"nel centro storico", "in viale della Repubblica",
	}
	First = []string{"Mario", "Giulia", "Luca", "Francesca", "Giuseppe", "Anna", "Marco", "Chiara",
		"Antonio", "Sara", "Paolo", "Elena", "Davide", "Martina", "Stefano", "Laura"}
	Last = []string{"Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci",
		"Marino", "Greco", "Bruno", "Gallo", "Conti", "De Luca", "Mancini", "Costa"}
	Orgs = []string{"Regione Lazio", "ASL Roma 1", "Prefettura di Roma", "INPS sede di Roma",
		"Edilizia Moderna S.r.l.", "Studio Tecnico Associato", "Agenzia delle Entrate", "Vigili del Fuoco"}
	Classes = []string{"I.1", "I.6", "II.4", "III.1", "IV.3", "VI.1", "VI.3", "VI.3.2", "VI.5", "VII.1", "VII.4", "IX.2", "X.4", "XI.1"}
	Offices = []string{"ANA", "TEC", "PER", "RAG", "SOC", "PM", "SEG", "URP"}
)

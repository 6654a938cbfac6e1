// Package catalogue ships the example service catalogue loaded on first start: three
// procedures every Italian municipality runs through its one-stop counters, with the offices
// that handle them, as procedures.json.
//
//   - Change of residence (dichiarazione di residenza, DPR 223/1989 art. 13 and DL 5/2012
//     art. 5): the registry office registers it within 2 working days and verifies it within 45;
//     silence confirms it.
//   - CILA (comunicazione di inizio lavori asseverata, DPR 380/2001 art. 6-bis): building works
//     notice to the building office (SUE), 30 days for checks.
//   - SCIA for starting a business (segnalazione certificata di inizio attività, L. 241/1990
//     art. 19): to the business office (SUAP), 60 days for checks, with the local police and
//     the health authority involved in order.
//
// The package holds data only; domain parses it, so that it imports no Sportello package. An
// administration publishes its own procedures through POST /v1/procedures.
package catalogue

import _ "embed"

// Procedures is the JSON text of the shipped catalogue: {"offices": [...], "procedures": [...]}.
//
//go:embed procedures.json
var Procedures []byte

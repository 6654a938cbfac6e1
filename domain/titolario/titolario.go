// Package titolario ships the default classification scheme loaded on first start: the *Piano
// di classificazione (= Titolario) per gli archivi dei Comuni italiani* (second edition,
// December 2005), 14 titoli and 125 classi, as comuni-2005.csv (columns code,level,parent,title).
//
// The rows were transcribed from three independent machine-readable transcriptions used by
// public-sector software (FormezPA/protformez, seedoo/seedoo-core, leobartoli/Magliano-archivio),
// which agree on the number, order and substance of every class; the readings chosen where they
// differ are listed in /work/shared/data/titolario-SOURCE.md, which README.md beside this file
// summarises. An administration adopting its own scheme imports it through POST /v1/classes.
//
// The package holds data only; domain parses it (domain.ParseClassesCSV), so that it imports no
// Sportello package.
package titolario

import _ "embed"

// Comuni2005 is the CSV text of the national model for municipalities (2005).
//
//go:embed comuni-2005.csv
var Comuni2005 []byte

// Comuni2005ValidFrom is the validity start given to the shipped classes: 1 December 2005, the
// month the second edition was published. Documents dated earlier cannot use them, which is
// right for a scheme that did not exist yet; an administration with older records imports the
// scheme it used then.
const Comuni2005ValidFrom = "2005-12-01"

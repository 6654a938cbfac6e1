package jobs

import (
	"testing"

	"github.com/sportello/sportello/domain"
)

// TestAnswerMessage: a ConfermaRicezione carries both identifiers; a NotificaEccezione ours,
// theirs, and every anomaly as Motivo.
func TestAnswerMessage(t *testing.T) {
	aoo := domain.AOO{IPACode: "c_h501", Code: "A1B2C3D"}
	theirs := domain.ProtocolID{IPACode: "c_a123", AOOCode: "AOO1", Register: "REG", Number: "0000123", Date: "2026-11-27"}
	r := &domain.Registration{ID: "r1", Register: "PG", Number: 42, Date: "2026-11-28",
		Interoperability: &domain.Interoperability{Sender: theirs, Answer: &domain.InteropAnswer{Kind: domain.ProtocolConferma}}}
	pm, err := AnswerMessage(aoo, r)
	if err != nil || pm.Kind != domain.ProtocolConferma || *pm.Received != theirs || pm.Reason != "" ||
		*pm.Identifier != (domain.ProtocolID{IPACode: "c_h501", AOOCode: "A1B2C3D", Register: "PG", Number: "0000042", Date: "2026-11-28"}) {
		t.Errorf("conferma: %+v, %v", pm, err)
	}
	r.Interoperability.Answer.Kind = domain.ProtocolEccezione
	r.Interoperability.Anomalies = []domain.Anomaly{{Code: "002", Detail: "a.pdf"}, {Code: "004", Detail: "b.pdf"}}
	pm, err = AnswerMessage(aoo, r)
	if err != nil || pm.Kind != domain.ProtocolEccezione || pm.Reason != "002: a.pdf; 004: b.pdf" || *pm.Received != theirs {
		t.Errorf("eccezione: %+v, %v", pm, err)
	}
	r.Interoperability.Answer = nil
	if _, err := AnswerMessage(aoo, r); err == nil {
		t.Error("an answer for a registration owing none")
	}
}

package search

import (
	"slices"
	"testing"
	"time"

	"github.com/sportello/sportello/domain"
)

func TestFromRegistration(t *testing.T) {
	r := &domain.Registration{
		ID: "id1", Register: "PG", Year: 2026, Number: 42, Identifier: "c_h501-A1B2C3D-PG-2026-0000042",
		RegisteredAt: time.Date(2026, 11, 28, 23, 30, 0, 0, time.UTC), Date: "2026-11-29",
		Direction: domain.Incoming, Channel: domain.ChannelPEC, Subject: "Istanza",
		Correspondents: []domain.Correspondent{
			{Role: domain.RoleSender, Name: "Mario Rossi", TaxCode: "rssmra80a01h501u"},
			{Role: domain.RoleRecipient, Name: "Comune"},
		},
		Class: "VI.3.2", Offices: []string{"TEC"}, Confidential: true, Status: domain.StatusActive,
		CreatedBy: "op1", Position: 99,
	}
	d := FromRegistration(r)
	t.Run("CarriesRefAndProtocolDate", func(t *testing.T) {
		if d.Kind != KindRegistration || d.Ref != "PG/2026/0000042" || !d.Date.Equal(day("2026-11-29")) ||
			d.shardMonth() != 202611 || d.Position != 99 || !d.Confidential {
			t.Errorf("document %+v", d)
		}
	})
	t.Run("NamesAndUpperCaseTaxCodes", func(t *testing.T) {
		if !slices.Equal(d.Correspondents, []string{"Mario Rossi", "Comune"}) ||
			!slices.Equal(d.TaxCodes, []string{"RSSMRA80A01H501U"}) {
			t.Errorf("correspondents %v, tax codes %v", d.Correspondents, d.TaxCodes)
		}
	})
	t.Run("ClassPathHoldsAncestors", func(t *testing.T) {
		if got := classPath("VI.3.2"); !slices.Equal(got, []string{"VI", "VI.3", "VI.3.2"}) {
			t.Errorf("class path %v", got)
		}
	})
}

package domain

import "strings"

// Contact is a person or office the public may reach: a name and at least one of e-mail and
// telephone.
type Contact struct {
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
}

// InfoSheet is what D.Lgs. 33/2013 art. 35 c. 1 wants published for each procedure beside
// what Procedure already holds (description, responsible office, deadline, silence is
// consent, required documents and form): the legal references (a), the person responsible for
// the procedure (RUP) with contacts (b, c), the office that adopts the final act (c), the fees
// and how they are paid (i, l), the remedies against the act or the silence (g) and who holds
// the substitute power when the deadline is missed (m, L. 241/1990 art. 2 c. 9-bis).
type InfoSheet struct {
	LegalReferences string  `json:"legal_references"`
	Responsible     Contact `json:"responsible"`
	DecidingOffice  string  `json:"deciding_office"`
	Fees            string  `json:"fees"`
	PaymentMethods  string  `json:"payment_methods"`
	Remedies        string  `json:"remedies"`
	SubstitutePower Contact `json:"substitute_power"`
}

// MissingInfo names, as fields of the procedure's JSON, what the information sheet lacks: a
// version cannot be published while anything is listed. A procedure without fees says so
// ("nessun costo") in fees and payment_methods, so that the reader knows it was not forgotten.
func (p *Procedure) MissingInfo() []string {
	var out []string
	need := func(field, value string) {
		if strings.TrimSpace(value) == "" {
			out = append(out, field)
		}
	}
	contact := func(field string, c Contact) {
		need(field+".name", c.Name)
		need(field+".email", c.Email+c.Phone) // e-mail or telephone
	}
	need("description", p.Description)
	need("info.legal_references", p.Info.LegalReferences)
	contact("info.responsible", p.Info.Responsible)
	need("info.deciding_office", p.Info.DecidingOffice)
	need("info.fees", p.Info.Fees)
	need("info.payment_methods", p.Info.PaymentMethods)
	need("info.remedies", p.Info.Remedies)
	contact("info.substitute_power", p.Info.SubstitutePower)
	return out
}

// checkInfoComplete returns validation_failed naming every missing field of the information
// sheet, or nil.
func (p *Procedure) checkInfoComplete() error {
	var v Validation
	for _, f := range p.MissingInfo() {
		v.Add(f, "is required to publish: D.Lgs. 33/2013 art. 35 wants it on the information sheet")
	}
	return v.Err()
}

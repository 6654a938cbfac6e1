package api

import "time"

// DirectoryCorrespondent is an administration, or one of its AOOs or UOs, of the IPA directory as a
// registration's correspondent: copied into `correspondents` with a `role`, it is accepted as
// it is.
type DirectoryCorrespondent struct {
	Type           string `json:"type" enums:"administration"`
	Name           string `json:"name" example:"Roma Capitale"`                                      // Denominazione_ente
	TaxCode        string `json:"tax_code,omitempty" example:"02438750586"`                          // Codice_fiscale_ente
	IPACode        string `json:"ipa_code" example:"c_h501"`                                         // Codice_IPA
	AOOCode        string `json:"aoo_code,omitempty" example:"A1B2C3D"`                              // Codice_uni_aoo, for an AOO (and a UO's)
	UOCode         string `json:"uo_code,omitempty" example:"UF1234"`                                // Codice_uni_uo, for a UO
	DigitalAddress string `json:"digital_address,omitempty" example:"protocollo@pec.comune.roma.it"` // its PEC, or else its first published address
}

// DirectoryAOO is an AOO (protocol office) of an administration.
type DirectoryAOO struct {
	Name          string                 `json:"name" example:"Ufficio Protocollo Generale"` // Denominazione_aoo
	Correspondent DirectoryCorrespondent `json:"correspondent"`
}

// DirectoryUO is an office (unità organizzativa) of an administration, found by the search.
type DirectoryUO struct {
	Name          string                 `json:"name" example:"Dipartimento Urbanistica"` // Descrizione_uo
	Correspondent DirectoryCorrespondent `json:"correspondent"`
}

// DirectoryEntry is an administration of the IPA directory with all its AOOs and the UOs the
// search found.
type DirectoryEntry struct {
	Correspondent DirectoryCorrespondent `json:"correspondent"`
	AOOs          []DirectoryAOO         `json:"aoos"`
	UOs           []DirectoryUO          `json:"uos"` // the UOs q names (words or code), at most 100; none without q
}

// DirectoryList is one page of administrations found.
type DirectoryList struct {
	Items      []DirectoryEntry `json:"items"`
	NextCursor string           `json:"next_cursor"`
}

// DirectoryImport records a load of an IPA list.
type DirectoryImport struct {
	ID         string    `json:"id" format:"uuid"`
	Kind       string    `json:"kind" enums:"administrations,aoos,uos"`
	Entries    int       `json:"entries" example:"23000"` // how many entries the list holds now
	ImportedAt time.Time `json:"imported_at" format:"date-time"`
	ImportedBy string    `json:"imported_by"` // the admin client
}

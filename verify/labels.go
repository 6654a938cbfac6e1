package verify

// kind is a kind of check, named in English (as `sportello verify` prints it) and in Italian
// (for the verification page); a check about a file adds the file's name.
type kind struct{ en, it string }

// name is the check's name about subject, in Italian if it.
func (k kind) name(subject string, it bool) string {
	label := k.en
	if it {
		label = k.it
	}
	switch {
	case subject == "":
		return label
	case label == "":
		return subject
	}
	return label + " " + subject
}

var (
	kFileFormat          = kind{"file format", "formato del file"}
	kSealingCert         = kind{"sealing certificate", "certificato di sigillo"}
	kTSACert             = kind{"TSA certificate", "certificato della TSA"}
	kSealingFingerprint  = kind{"sealing fingerprint", "impronta del certificato di sigillo"}
	kTSAFingerprint      = kind{"TSA fingerprint", "impronta del certificato della TSA"}
	kEmbeddedReceipt     = kind{"embedded receipt.json", "receipt.json incorporato nel PDF"}
	kPDFSeal             = kind{"PDF seal", "sigillo del PDF"}
	kReceipt             = kind{"receipt", "ricevuta"}
	kLeaf                = kind{"leaf recomputed from the registration", "foglia ricalcolata dalla registrazione"}
	kInclusion           = kind{"inclusion proof", "prova di inclusione"}
	kCheckpoint          = kind{"checkpoint", "checkpoint"}
	kCheckpointNote      = kind{"checkpoint note", "testo del checkpoint"}
	kCheckpointSignature = kind{"checkpoint signature", "firma del checkpoint"}
	kCheckpointTimestamp = kind{"checkpoint time-stamp", "marca temporale del checkpoint"}
	kPackageZip          = kind{"package zip", "zip del pacchetto"}
	kEntry               = kind{"entry", "voce"}
	kEntries             = kind{"package entries", "voci del pacchetto"}
	kPresent             = kind{"", "presenza di"}
	kIndex               = kind{"index", "indice"}
	kIndexSchema         = kind{"index schema", "schema dell'indice"}
	kSeal                = kind{"seal", "sigillo"}
	kTimestamp           = kind{"time-stamp", "marca temporale"}
	kFile                = kind{"file", "file"}
	kFiles               = kind{"files", "impronte dei file"}
	kIndexID             = kind{"index ID", "ID dell'indice"}
	kProof               = kind{"proof", "prova"}
	kProofs              = kind{"proofs", "prove di inclusione"}
	kDossier             = kind{"dossier", "metadati del fascicolo"}
)

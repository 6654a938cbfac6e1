package api

import "time"

// Checkpoint is a signed commitment to the first Size leaves of the transparency log. Byte
// fields are standard base64. Note is the exact signed text; TimestampToken, an RFC 3161 token
// over SHA-256(Note), is absent while the time-stamping authority is unreachable.
type Checkpoint struct {
	Origin         string    `json:"origin" example:"sportello/c_h501-A1B2C3D"`
	Size           uint64    `json:"size" example:"42"`
	RootHash       []byte    `json:"root_hash" swaggertype:"string" format:"byte"`
	Time           time.Time `json:"time" format:"date-time"`
	Signature      []byte    `json:"signature" swaggertype:"string" format:"byte"`
	KeyFingerprint string    `json:"key_fingerprint"`
	TimestampToken []byte    `json:"timestamp_token,omitempty" swaggertype:"string" format:"byte"`
	Note           string    `json:"note"`
}

// Proof is an RFC 6962 Merkle proof: an inclusion proof of leaf Index in the tree of Size
// leaves, or a consistency proof from the tree of From leaves to the tree of Size leaves.
type Proof struct {
	Index  *uint64  `json:"index,omitempty"`
	From   uint64   `json:"from,omitempty"`
	Size   uint64   `json:"size"`
	Hashes [][]byte `json:"hashes" swaggertype:"array,string" format:"byte"`
}

// Receipt is a registration's proof of registration as data (ricevuta). The certificates make
// it self-contained: a verifier needs nothing else offline, and decides whom to trust by
// comparing the sealing certificate's fingerprint with the one the administration publishes.
type Receipt struct {
	Registration   Registration `json:"registration"`
	LeafIndex      uint64       `json:"leaf_index"`
	Leaf           []byte       `json:"leaf" swaggertype:"string" format:"byte"`
	LeafHash       []byte       `json:"leaf_hash" swaggertype:"string" format:"byte"`
	Checkpoint     Checkpoint   `json:"checkpoint"`
	InclusionProof [][]byte     `json:"inclusion_proof" swaggertype:"array,string" format:"byte"`
	// SealingCertificate (DER) seals receipt PDFs and signs checkpoints.
	SealingCertificate []byte `json:"sealing_certificate" swaggertype:"string" format:"byte"`
	// TSACertificate (DER) signed the checkpoint's and the PDF's time-stamps; absent when unknown.
	TSACertificate []byte `json:"tsa_certificate,omitempty" swaggertype:"string" format:"byte"`
}

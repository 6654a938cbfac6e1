package importer

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestEmergencyRows: a row with emergency_number and emergency_date (and an outage, when the
// manifest names it) carries them in its metadata as POST /v1/registrations takes them; a half
// entry, a number that is not one, or an outage without an entry is that row's problem.
func TestEmergencyRows(t *testing.T) {
	const head = "file,subject,sender_name,emergency_number,emergency_date,outage\n"
	rows := read(t, head+
		"a.pdf,Voce,Mario Rossi,12,2026-11-20,\n"+
		"b.pdf,Voce,Mario Rossi,13,2026-11-20,0193c0de-0000-7000-8000-000000000001\n"+
		"c.pdf,Ordinaria,Mario Rossi,,,\n")
	for i, want := range []*Emergency{
		{Number: 12, Date: "2026-11-20"},
		{Outage: "0193c0de-0000-7000-8000-000000000001", Number: 13, Date: "2026-11-20"},
		nil,
	} {
		r := rows[i]
		if !r.OK() || (r.Metadata.Emergency == nil) != (want == nil) || want != nil && *r.Metadata.Emergency != *want {
			t.Errorf("row %d: emergency %+v, problems %q; want %+v", i, r.Metadata.Emergency, r.Problems, want)
		}
	}
	raw, _ := json.Marshal(rows[0].Metadata)
	if !strings.Contains(string(raw), `"emergency":{"number":12,"date":"2026-11-20"}`) {
		t.Errorf("metadata %s", raw)
	}
	if raw, _ := json.Marshal(rows[2].Metadata); strings.Contains(string(raw), "emergency") || strings.Contains(string(raw), "image_copy") {
		t.Errorf("a row without them sends %s", raw)
	}
	if Key(rows[0], nil) == Key(rows[1], nil) {
		t.Error("two entries of the emergency register have the same key")
	}
	for _, tc := range []struct{ row, want string }{
		{"a.pdf,Voce,Mario Rossi,12,,", "emergency_date: is required with emergency_number"},
		{"a.pdf,Voce,Mario Rossi,,2026-11-20,", "emergency_number: is required with emergency_date"},
		{"a.pdf,Voce,Mario Rossi,dodici,2026-11-20,", `emergency_number: "dodici" is not a positive whole number`},
		{"a.pdf,Voce,Mario Rossi,0,2026-11-20,", `emergency_number: "0"`},
		{"a.pdf,Voce,Mario Rossi,12,2026-11-31,", `emergency_date: "2026-11-31" is not a date`},
		{"a.pdf,Voce,Mario Rossi,,,0193c0de-0000-7000-8000-000000000001", "outage: needs emergency_number and emergency_date"},
	} {
		rows := read(t, head+tc.row+"\n")
		if !strings.Contains(strings.Join(rows[0].Problems, "; "), tc.want) {
			t.Errorf("%s: problems %q, want %q", tc.row, rows[0].Problems, tc.want)
		}
	}
}

// TestImageCopyRows: attested_by and attested_on make the row's document an image copy with
// that attestation; a date without a name, a bad date, a name too long or a channel that is not
// paper is that row's problem; a row without them states no image copy.
func TestImageCopyRows(t *testing.T) {
	const head = "file,subject,sender_name,channel,attested_by,attested_on\n"
	rows := read(t, head+
		"a.pdf,Scansione,Mario Rossi,,Anna Verdi,2026-11-20\n"+
		"b.pdf,Scansione,Mario Rossi,post,Anna Verdi,\n"+
		"c.pdf,Nativo,Mario Rossi,,,\n")
	for i, want := range []*ImageCopy{{"Anna Verdi", "2026-11-20"}, {AttestedBy: "Anna Verdi"}, nil} {
		r := rows[i]
		if !r.OK() || (r.Metadata.ImageCopy == nil) != (want == nil) || want != nil && *r.Metadata.ImageCopy != *want {
			t.Errorf("row %d: image copy %+v, problems %q; want %+v", i, r.Metadata.ImageCopy, r.Problems, want)
		}
	}
	raw, _ := json.Marshal(rows[0].Metadata)
	if !strings.Contains(string(raw), `"image_copy":{"attested_by":"Anna Verdi","attested_on":"2026-11-20"}`) {
		t.Errorf("metadata %s", raw)
	}
	if Key(rows[0], nil) == Key(read(t, head+"a.pdf,Scansione,Mario Rossi,,Anna Verdi,2026-11-21\n")[0], nil) {
		t.Error("the key does not cover the attestation")
	}
	for _, tc := range []struct{ row, want string }{
		{"a.pdf,Scansione,Mario Rossi,,,2026-11-20", "attested_by: is required with attested_on"},
		{"a.pdf,Scansione,Mario Rossi,,Anna Verdi,20/11/2026", `attested_on: "20/11/2026" is not a date`},
		{"a.pdf,Scansione,Mario Rossi,,\"" + strings.Repeat("A", 201) + "\",", "attested_by: is longer than 200 characters"},
		{"a.pdf,Scansione,Mario Rossi,pec,Anna Verdi,", "the channel must be paper, counter or post, not pec"},
	} {
		rows := read(t, head+tc.row+"\n")
		if !strings.Contains(strings.Join(rows[0].Problems, "; "), tc.want) {
			t.Errorf("%s: problems %q, want %q", tc.row, rows[0].Problems, tc.want)
		}
	}
}

package api_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/app"
	"github.com/sportello/sportello/internal/apptest"
)

// textDeadline bounds the wait for an extraction job: OCR of a page takes a few seconds on a
// busy machine.
const textDeadline = 2 * time.Minute

// waitText polls the registration until its text_status is want (or another final status,
// which fails the test) and returns it.
func waitText(t *testing.T, c *client, token string, reg api.Registration, want string) api.Registration {
	t.Helper()
	deadline := time.Now().Add(textDeadline)
	for {
		var got api.Registration
		c.do("GET", refPath(reg), token, nil).decode(t, http.StatusOK, &got)
		switch {
		case got.TextStatus == want:
			return got
		case got.TextStatus != "pending" && got.TextStatus != "failed":
			t.Fatalf("text_status %q, want %q", got.TextStatus, want)
		case time.Now().After(deadline):
			t.Fatalf("text_status still %q after %v, want %q", got.TextStatus, textDeadline, want)
		}
		time.Sleep(100 * time.Millisecond) // polling interval, not an assertion
	}
}

func needTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (CI installs it: apt-get install poppler-utils tesseract-ocr tesseract-ocr-ita)", tool)
		}
	}
}

// A scanned image registered through HTTP is found, once OCR has run, by a word
// that is only in the image. Read-your-writes: the client polls text_status until "done"; the
// registration's position is then that of the text's change-feed event, and a search with it
// as min_position waits for the index to have the text.
func TestSearchFindsOCRText(t *testing.T) {
	needTools(t, "tesseract")
	png, err := os.ReadFile(ocrFixture)
	if err != nil {
		t.Fatal(err)
	}
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		op := s.NewClient(t, "operator", []string{"protocol_operator"})
		var reg api.Registration
		c.register(op, apptest.Incoming("Segnalazione dall'istituto comprensivo"), []apptest.Part{
			{Name: "document", Filename: "verbale.png", Content: png},
		}).decode(t, http.StatusCreated, &reg)
		if reg.TextStatus != "pending" {
			t.Fatalf("text_status at registration %q, want pending", reg.TextStatus)
		}
		done := waitText(t, c, op, reg, "done")
		if done.Position <= reg.Position {
			t.Fatalf("position %d after the text, want past the registration's %d", done.Position, reg.Position)
		}
		res := searchFor(t, c, op, done.Position, url.Values{"q": {ocrWord}})
		if res.Total != 1 || res.Items[0].ID != reg.ID {
			t.Fatalf("search %q: %+v", ocrWord, res)
		}
		if frags := res.Items[0].Highlights["text"]; len(frags) == 0 || !strings.Contains(strings.ToLower(strings.Join(frags, " ")), ocrWord) {
			t.Fatalf("text highlights %q, want %q", frags, ocrWord)
		}
		var list api.RegistrationList
		c.do("GET", "/v1/registrations", op, nil).decode(t, http.StatusOK, &list)
		if len(list.Items) != 1 || list.Items[0].TextStatus != "done" {
			t.Fatalf("list: %+v", list.Items)
		}
	})
}

// The text of attachments is indexed too: a plain-text file and an e-mail message with a
// text body and an HTML alternative.
func TestSearchFindsAttachmentText(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		op := s.NewClient(t, "operator", []string{"protocol_operator"})
		eml := "From: Mario Rossi <mario@example.org>\r\nTo: protocollo@example.org\r\n" +
			"Subject: Istanza di accesso\r\nMIME-Version: 1.0\r\n" +
			"Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
			"Chiedo copia della delibera sulla viabilit=E0 del quartiere Borgonuovo.\r\n"
		var reg api.Registration
		c.register(op, apptest.Incoming("Istanza"), []apptest.Part{
			{Name: "document", Filename: "istanza.pdf", Content: apptest.PDF("Richiesta di contributo per la palestra")},
			{Name: "attachment", Filename: "nota.txt", Content: []byte("Allegato: planimetria del magazzino comunale\n")},
			{Name: "attachment", Filename: "messaggio.eml", Content: []byte(eml)},
		}).decode(t, http.StatusCreated, &reg)
		done := waitText(t, c, op, reg, "done")
		for _, q := range []string{"contributo palestra", "magazzino", "Borgonuovo", "viabilita"} {
			res := searchFor(t, c, op, done.Position, url.Values{"q": {q}})
			if res.Total != 1 || res.Items[0].ID != reg.ID {
				t.Errorf("search %q: %+v", q, res)
			}
		}
	})
}

// fastRetry retries a failed job after a few milliseconds instead of River's seconds.
type fastRetry struct{}

func (fastRetry) NextRetry(*rivertype.JobRow) time.Time { return time.Now().Add(10 * time.Millisecond) }

// A document whose text cannot be read does not fail its registration: text_status shows the
// failure, the job is retried, and each attempt's error is recorded.
func TestTextExtractionFailureIsVisibleAndRetried(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		op := s.NewClient(t, "operator", []string{"protocol_operator"})
		broken := []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> broken beyond repair")
		var reg api.Registration
		c.register(op, apptest.Incoming("Documento danneggiato"), []apptest.Part{
			{Name: "document", Filename: "rotto.pdf", Content: broken},
		}).decode(t, http.StatusCreated, &reg)
		waitText(t, c, op, reg, "failed")
		deadline := time.Now().Add(textDeadline)
		for {
			st, err := s.Main.DB.Text(context.Background(), reg.ID)
			if err != nil {
				t.Fatal(err)
			}
			if st.Attempts >= 2 {
				if st.Status != "failed" || st.LastError == "" || !strings.Contains(st.LastError, "rotto.pdf") {
					t.Fatalf("text row %+v, want failed with the error", st)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no retry after %v: %+v", textDeadline, st)
			}
			time.Sleep(50 * time.Millisecond) // polling interval, not an assertion
		}
	}, func(m *app.Main) { m.TextRetryPolicy = fastRetry{} })
}

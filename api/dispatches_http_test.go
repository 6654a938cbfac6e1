package api_test

import (
	"net/http"
	"testing"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/apptest"
)

// outgoingTo registers an outgoing document to the recipients, as the operator.
func outgoingTo(t *testing.T, c *client, token, class string, recipients ...map[string]any) api.Registration {
	t.Helper()
	meta := map[string]any{"direction": "outgoing", "subject": "Trasmissione del parere", "correspondents": recipients}
	if class != "" {
		meta["class"] = class
	}
	var reg api.Registration
	c.register(token, meta, []apptest.Part{
		{Name: "document", Filename: "parere.pdf", Content: apptest.PDF("parere")},
		{Name: "attachment", Filename: "allegato.txt", Content: []byte("allegato al parere\n")},
	}).decode(t, http.StatusCreated, &reg)
	return reg
}

// TestDispatchWithoutRelay: without a mail relay an outgoing registration is not dispatched
// (503) and has no dispatches; an incoming one is never dispatched (409), whatever the relay.
func TestDispatchWithoutRelay(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		op := s.NewClient(t, "operator", []string{"protocol_operator"})
		out := outgoingTo(t, c, op, "VI.3", map[string]any{"role": "recipient", "type": "person", "name": "Anna Bianchi",
			"digital_address": "anna@pec.example"})
		c.json("POST", refPath(out)+"/dispatches", op, map[string]any{}).problem(t, http.StatusServiceUnavailable, "unavailable")
		var list api.DispatchList
		c.do("GET", refPath(out)+"/dispatches", op, nil).decode(t, http.StatusOK, &list)
		if len(list.Items) != 0 {
			t.Errorf("dispatches %+v", list.Items)
		}
		in := c.mustRegister(op, "Istanza")
		c.json("POST", refPath(in)+"/dispatches", op, map[string]any{}).problem(t, http.StatusConflict, "conflict")
	})
}

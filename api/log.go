package api

import (
	"context"
	"net/url"
	"slices"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/signing/tlog"
)

// TransparencyLog is what the log endpoints read: signing/tlog.Log.
type TransparencyLog interface {
	LatestCheckpoint(ctx context.Context) (tlog.Checkpoint, error)
	LeafByEntity(ctx context.Context, kind, id string) (uint64, []byte, error)
	InclusionProof(ctx context.Context, index, size uint64) ([][]byte, error)
	ConsistencyProof(ctx context.Context, from, to uint64) ([][]byte, error)
}

// getCheckpoint returns the latest signed checkpoint.
//
//	@Summary		Latest checkpoint of the transparency log
//	@Description	The log's size and root hash, signed with the sealing key and time-stamped (RFC 3161). Keep it: any later checkpoint must be consistent with it (GET /v1/log/proofs/consistency). See docs/transparency-log.md for the signed form. 404 before the first registration is logged.
//	@Tags			transparency log
//	@Produce		json
//	@Security		BearerAuth
//	@Success		200	{object}	Checkpoint
//	@Failure		401,404,422,500,503	{object}	Problem
//	@ID				getCheckpoint
//	@Router			/v1/log/checkpoint [get]
func (h *handlers) getCheckpoint(c *gin.Context) {
	cp, err := h.tlog.LatestCheckpoint(c.Request.Context())
	if err != nil {
		h.fail(c, err)
		return
	}
	respond(c, 200, toCheckpoint(cp))
}

// getInclusionProof proves that leaf index is in the log of the given size.
//
//	@Summary		Inclusion proof
//	@Description	The RFC 6962 audit path of leaf `index` in the tree of `size` leaves, to verify against the root of the checkpoint of that size.
//	@Tags			transparency log
//	@Produce		json
//	@Security		BearerAuth
//	@Param			index	query		int	true	"Leaf index (0-based)"	minimum(0)
//	@Param			size	query		int	true	"Tree size: a checkpoint's size"	minimum(0)
//	@Success		200		{object}	Proof
//	@Failure		401,404,422,500,503	{object}	Problem
//	@ID				getInclusionProof
//	@Router			/v1/log/proofs/inclusion [get]
func (h *handlers) getInclusionProof(c *gin.Context) {
	n, err := uintParams(c.Request.URL.Query(), "index", "size")
	if err == nil && n[0] >= n[1] {
		err = &domain.Error{Code: domain.ECValidation, Message: "index must be below size",
			Fields: []domain.FieldError{{Field: "index", Message: "must be below size"}}}
	}
	if err == nil {
		err = h.checkSize(c.Request.Context(), n[1])
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	hashes, err := h.tlog.InclusionProof(c.Request.Context(), n[0], n[1])
	if err != nil {
		h.fail(c, err)
		return
	}
	respond(c, 200, Proof{Index: &n[0], Size: n[1], Hashes: hashes})
}

// getConsistencyProof proves that the log of size `to` extends the log of size `from`.
//
//	@Summary		Consistency proof
//	@Description	The RFC 6962 proof that the tree of `to` leaves extends the tree of `from` leaves: with two checkpoints, it shows that the register was only ever appended to.
//	@Tags			transparency log
//	@Produce		json
//	@Security		BearerAuth
//	@Param			from	query		int	true	"Size of the earlier checkpoint"	minimum(0)
//	@Param			to		query		int	true	"Size of the later checkpoint"	minimum(0)
//	@Success		200		{object}	Proof
//	@Failure		401,404,422,500,503	{object}	Problem
//	@ID				getConsistencyProof
//	@Router			/v1/log/proofs/consistency [get]
func (h *handlers) getConsistencyProof(c *gin.Context) {
	n, err := uintParams(c.Request.URL.Query(), "from", "to")
	if err == nil && (n[0] == 0 || n[0] > n[1]) {
		err = &domain.Error{Code: domain.ECValidation, Message: "from must be between 1 and to",
			Fields: []domain.FieldError{{Field: "from", Message: "must be between 1 and to"}}}
	}
	if err == nil {
		err = h.checkSize(c.Request.Context(), n[1])
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	hashes, err := h.tlog.ConsistencyProof(c.Request.Context(), n[0], n[1])
	if err != nil {
		h.fail(c, err)
		return
	}
	respond(c, 200, Proof{From: n[0], Size: n[1], Hashes: hashes})
}

// checkSize refuses a tree size beyond the latest checkpoint: proofs are only given against
// signed sizes.
func (h *handlers) checkSize(ctx context.Context, size uint64) error {
	cp, err := h.tlog.LatestCheckpoint(ctx)
	if err != nil {
		return err
	}
	if size > cp.Size {
		return domain.Errorf(domain.ECNotFound, "no checkpoint of size %d: the latest has %d leaves", size, cp.Size)
	}
	return nil
}

// uintParams reads the named query parameters as unsigned integers; they are required, and no
// other parameter is accepted.
func uintParams(q url.Values, names ...string) ([]uint64, error) {
	var v domain.Validation
	for k := range q {
		if !slices.Contains(names, k) {
			v.Add(k, "unknown query parameter; the parameters are %v", names)
		}
	}
	out := make([]uint64, len(names))
	for i, name := range names {
		s := q.Get(name)
		n, err := strconv.ParseUint(s, 10, 63)
		if len(q[name]) != 1 || err != nil {
			v.Add(name, "is required, once, as a non-negative integer")
		}
		out[i] = n
	}
	return out, v.Err()
}

func toCheckpoint(cp tlog.Checkpoint) Checkpoint {
	return Checkpoint{Origin: cp.Origin, Size: cp.Size, RootHash: cp.Root, Time: utc(cp.Time), Signature: cp.Signature,
		KeyFingerprint: cp.KeyFingerprint, TimestampToken: cp.TimestampToken, Note: string(cp.Note())}
}

package blob

import (
	"errors"
	"syscall"

	"github.com/sportello/sportello/domain"
)

// full returns an insufficient_storage error wrapping err when the file system is out of space
// or over its quota, and err otherwise: a full disk is the operator's to fix, not a bug, and
// the client may retry once space is freed.
func full(err error) error {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return &domain.Error{Code: domain.ECInsufficientStorage, Message: "the blob store is full: the content was not stored", Err: err}
	}
	return err
}

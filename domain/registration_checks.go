package domain

import (
	"context"
	"fmt"
	"slices"
)

// The services in this file use the ports RegisterStore and OfficeStore (ports.go).

// checkUnclassified refuses a registration without class, naming class, unless its register
// allows classifying later (Register.AllowUnclassified). It runs before the counter is
// touched, so a refused registration consumes no number (R2).
func (s *Service) checkUnclassified(ctx context.Context, in NewRegistration) error {
	if in.Class != "" {
		return nil
	}
	reg, err := s.register(ctx, in.Register)
	if IsCode(err, ECNotFound) {
		return Invalid("register", "unknown register %s", in.Register)
	}
	if err != nil {
		return fmt.Errorf("register %s: %w", in.Register, err)
	}
	if !reg.AllowUnclassified {
		return Invalid("class", "is required: register %s does not allow registering without a class", in.Register)
	}
	return nil
}

// checkOffices returns validation_failed naming the first unknown office code.
func (s *Service) checkOffices(ctx context.Context, codes []string) error {
	if len(codes) == 0 {
		return nil
	}
	offices, err := s.Store.Offices(ctx)
	if err != nil {
		return err
	}
	var v Validation
	for i, c := range codes {
		if !slices.ContainsFunc(offices, func(o Office) bool { return o.Code == c }) {
			v.Add(fmt.Sprintf("offices[%d]", i), "unknown office %q", c)
		}
	}
	return v.Err()
}

// checkContent makes sure every file is in the blob store, so that no committed row points to
// missing content.
func (s *Service) checkContent(ctx context.Context, files []File) error {
	for _, f := range files {
		ok, err := s.Blobs.Exists(ctx, f.SHA256)
		if err != nil {
			return fmt.Errorf("check content %s: %w", f.SHA256, err)
		}
		if !ok {
			return Errorf(ECValidation, "content %s of %q is not stored", f.SHA256, f.Filename)
		}
	}
	return nil
}

// register returns a register, remembered after the first read: registers are never changed
// once created, and registering must not cost a round trip for them.
func (s *Service) register(ctx context.Context, code string) (Register, error) {
	if r, ok := s.registers.Load(code); ok {
		return r.(Register), nil
	}
	r, err := s.Store.Register(ctx, code)
	if err == nil {
		s.registers.Store(code, r)
	}
	return r, err
}

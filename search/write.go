package search

import (
	"context"
	"fmt"
	"strconv"

	"github.com/sportello/sportello/domain"
)

// Put indexes docs, replacing any earlier version with the same ID, so replaying the change
// feed is harmless. Documents are grouped into one bleve batch per month's shard, and each
// batch also records the highest position seen, so the position survives a restart exactly
// when the documents do. A document's month must not change between versions (registration
// dates are immutable): the old version would stay in the old month's shard.
func (x *Index) Put(ctx context.Context, docs ...Document) error {
	if len(docs) == 0 {
		return nil
	}
	byMonth := map[int][]Document{}
	var top int64
	for _, d := range docs {
		if d.ID == "" {
			return domain.Errorf(domain.ECValidation, "search document without id")
		}
		k := d.shardMonth()
		byMonth[k] = append(byMonth[k], d)
		top = max(top, d.Position)
	}
	x.write.Lock()
	defer x.write.Unlock()
	top = max(top, x.Position())
	for k, group := range byMonth {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("index %d documents: %w", len(docs), err)
		}
		shard, err := x.shard(k, true)
		if err != nil {
			return fmt.Errorf("index %d documents: %w", len(docs), err)
		}
		b := shard.NewBatch()
		for _, d := range group {
			if err := b.Index(d.ID, d.fields()); err != nil {
				return fmt.Errorf("index document %s: %w", d.ID, err)
			}
		}
		b.SetInternal(positionKey, []byte(strconv.FormatInt(top, 10)))
		if err := shard.Batch(b); err != nil {
			return fmt.Errorf("index %d documents of %06d: %w", len(group), k, err)
		}
	}
	x.advance(top)
	return nil
}

// Delete removes the documents with ids from the index; unknown ids are ignored. The index does
// not know which month holds an id, so every shard gets the deletions.
func (x *Index) Delete(ctx context.Context, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	x.write.Lock()
	defer x.write.Unlock()
	for _, k := range x.months() {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("delete %d documents: %w", len(ids), err)
		}
		shard, err := x.shard(k, false)
		if err != nil {
			return fmt.Errorf("delete %d documents: %w", len(ids), err)
		}
		b := shard.NewBatch()
		for _, id := range ids {
			b.Delete(id)
		}
		if err := shard.Batch(b); err != nil {
			return fmt.Errorf("delete %d documents from %06d: %w", len(ids), k, err)
		}
	}
	return nil
}

package store

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"
)

// ConfigCacheTTL is how long the chat runtime's copy of a profile, a
// flow's row or the custom fields serves before it is read again. A
// change made through this store is seen at once; one made through
// another node's is seen after at most this long.
const ConfigCacheTTL = time.Second

// configCache holds what every chat start and bot turn reads and admins
// change rarely: chat profiles, flows' rows and custom fields. Any change
// to those through this store empties it; entries also expire after
// ConfigCacheTTL, for changes through other nodes. Only found rows are
// kept: a miss is read again.
type configCache struct {
	mu      sync.Mutex
	gen     uint64 // bumped by every change: a read begun before it is not kept
	entries map[string]configEntry
}

type configEntry struct {
	at  time.Time
	val any
}

// invalidate forgets everything; called after every configuration write.
func (c *configCache) invalidate() {
	c.mu.Lock()
	c.gen++
	clear(c.entries)
	c.mu.Unlock()
}

// cached returns key's value, reading it with load when it is missing or
// stale.
func cached[T any](ctx context.Context, s *Store, key string, load func(context.Context) (T, error)) (T, error) {
	c := &s.config
	now := time.Now()
	c.mu.Lock()
	e, ok := c.entries[key]
	gen := c.gen
	c.mu.Unlock()
	if ok && now.Sub(e.at) < ConfigCacheTTL {
		return e.val.(T), nil
	}
	v, err := load(ctx)
	if err != nil {
		return v, err
	}
	c.mu.Lock()
	if c.gen == gen {
		if c.entries == nil {
			c.entries = map[string]configEntry{}
		}
		c.entries[key] = configEntry{at: now, val: v}
	}
	c.mu.Unlock()
	return v, nil
}

// CachedProfile is GetProfile through the configuration cache. The
// profile returned is a copy whose lists of origins and token mappings
// are the caller's own; its identity settings and opening hours are
// shared and must not be changed.
func (s *Store) CachedProfile(ctx context.Context, id string) (*ChatProfile, error) {
	p, err := cached(ctx, s, "profile:"+id, func(ctx context.Context) (*ChatProfile, error) { return s.GetProfile(ctx, id) })
	if err != nil {
		return nil, err
	}
	cp := *p
	cp.AllowedOrigins = slices.Clone(p.AllowedOrigins)
	cp.TokenMappings = maps.Clone(p.TokenMappings)
	return &cp, nil
}

// CachedFlow is GetFlow (the flow's row: its current version) through
// the configuration cache.
func (s *Store) CachedFlow(ctx context.Context, id int64) (*Flow, error) {
	f, err := cached(ctx, s, "flow:"+strconv.FormatInt(id, 10), func(ctx context.Context) (*Flow, error) { return s.GetFlow(ctx, id) })
	if err != nil {
		return nil, err
	}
	cp := *f
	return &cp, nil
}

// CachedCustomFields is ListCustomFields through the configuration cache;
// the slice returned is the caller's own.
func (s *Store) CachedCustomFields(ctx context.Context, entity string) ([]CustomField, error) {
	fs, err := cached(ctx, s, "fields:"+entity, func(ctx context.Context) ([]CustomField, error) { return s.ListCustomFields(ctx, entity) })
	if err != nil {
		return nil, err
	}
	return slices.Clone(fs), nil
}

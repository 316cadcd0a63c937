package graph

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"maps"
	"math"
	"slices"
	"sort"
	"sync/atomic"

	"comfyd/nodes"
)

// cacheKey is a node's input signature (spec 4.9), hashed.
//
// Upstream builds, per node, the list of immediate signatures of the node
// and all its ancestors, with links written as ("ANCESTOR", index, slot).
// comfyd hashes Merkle-style instead: a link is written as (source key,
// slot). Both make the key depend on class, is_changed value, literal
// inputs and the whole upstream graph, and not on node ids (unless the
// class is NOT_IDEMPOTENT or takes UNIQUE_ID). The one difference: two
// identical but distinct upstream branches share a key here, which is
// sound because they compute the same values.
type cacheKey [sha256.Size]byte

// uniqueCounter feeds keys that must never match (NaN is_changed, values
// that cannot be hashed, links to missing nodes, cycles).
var uniqueCounter atomic.Uint64

// cacheEntry is one cached node result: its output lists per slot and its
// UI dict (nil when the node returned none).
type cacheEntry struct {
	outputs [][]any
	ui      nodes.UI
	gen     uint64 // last prompt generation that used it (LRU)
}

// outputCache keeps node results between prompts under one of the three
// policies of spec 4.9.
type outputCache struct {
	opts    CacheOptions
	entries map[cacheKey]*cacheEntry
	gen     uint64
}

func newOutputCache(opts CacheOptions) *outputCache {
	return &outputCache{opts: opts, entries: map[cacheKey]*cacheEntry{}}
}

// startPrompt applies the policy for a new prompt whose nodes have keys.
func (c *outputCache) startPrompt(keys map[string]cacheKey) {
	c.gen++
	switch {
	case c.opts.None:
		clear(c.entries)
	case c.opts.LRU > 0:
		for _, k := range keys {
			if e := c.entries[k]; e != nil {
				e.gen = c.gen
			}
		}
		c.evictLRU()
	default: // classic: keep only what a node of this prompt can use
		used := make(map[cacheKey]bool, len(keys))
		for _, k := range keys {
			used[k] = true
		}
		for k := range c.entries {
			if !used[k] {
				delete(c.entries, k)
			}
		}
	}
}

// endPrompt drops everything under --cache-none and trims the LRU.
func (c *outputCache) endPrompt() {
	switch {
	case c.opts.None:
		clear(c.entries)
	case c.opts.LRU > 0:
		c.evictLRU()
	}
}

// evictLRU removes the oldest generations while over the limit; entries
// used by the current prompt are never evicted.
func (c *outputCache) evictLRU() {
	for len(c.entries) > c.opts.LRU {
		oldest := c.gen
		for _, e := range c.entries {
			if e.gen < oldest {
				oldest = e.gen
			}
		}
		if oldest == c.gen {
			return
		}
		for k, e := range c.entries {
			if e.gen == oldest {
				delete(c.entries, k)
			}
		}
	}
}

func (c *outputCache) get(k cacheKey) *cacheEntry { return c.entries[k] }

func (c *outputCache) set(k cacheKey, e *cacheEntry) {
	e.gen = c.gen
	c.entries[k] = e
}

func (c *outputCache) clear() { clear(c.entries) }

// keyer computes every node's cache key for one prompt.
type keyer struct {
	p         *Prompt
	classes   map[string]*nodes.Class
	isChanged func(id string) any // the node's is_changed value
	keys      map[string]cacheKey
	busy      map[string]bool
	h         hash.Hash
	buf       []byte
}

func computeKeys(p *Prompt, classes map[string]*nodes.Class, isChanged func(string) any) map[string]cacheKey {
	k := &keyer{p: p, classes: classes, isChanged: isChanged,
		keys: make(map[string]cacheKey, len(p.IDs)), busy: map[string]bool{}, h: sha256.New()}
	for _, id := range p.IDs {
		k.key(id)
	}
	return k.keys
}

func uniqueKey() cacheKey {
	var k cacheKey
	binary.LittleEndian.PutUint64(k[:], uniqueCounter.Add(1))
	copy(k[8:], "comfyd:unique-key")
	return k
}

func (k *keyer) key(id string) cacheKey {
	if key, ok := k.keys[id]; ok {
		return key
	}
	n, cls := k.p.Nodes[id], k.classes[id]
	if n == nil || cls == nil || k.busy[id] {
		return uniqueKey()
	}
	k.busy[id] = true
	// Resolve ancestors first: the hash state is shared.
	type part struct {
		name string
		src  cacheKey
		slot int
		lit  any
		link bool
	}
	parts := make([]part, 0, len(n.Inputs))
	for _, in := range n.Inputs {
		if l, ok := in.Value.(Link); ok {
			parts = append(parts, part{name: in.Name, src: k.key(l.From), slot: l.Slot, link: true})
		} else {
			parts = append(parts, part{name: in.Name, lit: in.Value})
		}
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].name < parts[j].name })
	delete(k.busy, id)

	b := k.buf[:0]
	b = appendString(b, n.ClassType)
	var hashable bool
	b, hashable = appendValue(b, k.isChanged(id))
	if !hashable {
		return k.store(id, uniqueKey())
	}
	if cls.NotIdempotent || hasHiddenType(cls, "UNIQUE_ID") {
		b = append(b, 'N')
		b = appendString(b, id)
	}
	for _, pt := range parts {
		b = appendString(b, pt.name)
		if pt.link {
			b = append(b, 'A')
			b = append(b, pt.src[:]...)
			b = binary.LittleEndian.AppendUint64(b, uint64(pt.slot))
			continue
		}
		b, hashable = appendValue(b, normalize(pt.lit))
		if !hashable {
			return k.store(id, uniqueKey())
		}
	}
	k.buf = b
	k.h.Reset()
	k.h.Write(b)
	var key cacheKey
	k.h.Sum(key[:0])
	return k.store(id, key)
}

func (k *keyer) store(id string, key cacheKey) cacheKey {
	k.keys[id] = key
	return key
}

func hasHiddenType(cls *nodes.Class, typ string) bool {
	for _, h := range cls.Hidden {
		if h.Type == typ {
			return true
		}
	}
	return false
}

func appendString(b []byte, s string) []byte {
	b = append(b, 's')
	b = binary.LittleEndian.AppendUint64(b, uint64(len(s)))
	return append(b, s...)
}

// appendValue writes a canonical, type-tagged encoding of v. ok is false
// for values that must make the key unique: NaN (upstream's "always run"
// idiom) and types it cannot compare.
func appendValue(b []byte, v any) (_ []byte, ok bool) {
	switch x := v.(type) {
	case nil:
		return append(b, 'n'), true
	case bool:
		if x {
			return append(b, 'T'), true
		}
		return append(b, 'F'), true
	case int64:
		return binary.LittleEndian.AppendUint64(append(b, 'i'), uint64(x)), true
	case int:
		return binary.LittleEndian.AppendUint64(append(b, 'i'), uint64(int64(x))), true
	case uint64:
		if x <= math.MaxInt64 {
			return binary.LittleEndian.AppendUint64(append(b, 'i'), x), true
		}
		return binary.LittleEndian.AppendUint64(append(b, 'u'), x), true
	case float64:
		if math.IsNaN(x) {
			return b, false
		}
		return binary.LittleEndian.AppendUint64(append(b, 'd'), math.Float64bits(x)), true
	case float32:
		return appendValue(b, float64(x))
	case string:
		return appendString(b, x), true
	case []byte:
		return appendString(append(b, 'b'), string(x)), true
	case []any:
		b = binary.LittleEndian.AppendUint64(append(b, 'l'), uint64(len(x)))
		for _, e := range x {
			if b, ok = appendValue(b, e); !ok {
				return b, false
			}
		}
		return b, true
	case []string:
		b = binary.LittleEndian.AppendUint64(append(b, 'l'), uint64(len(x)))
		for _, e := range x {
			b = appendString(b, e)
		}
		return b, true
	case map[string]any:
		keys := slices.Sorted(maps.Keys(x))
		b = binary.LittleEndian.AppendUint64(append(b, 'm'), uint64(len(x)))
		for _, key := range keys {
			b = appendString(b, key)
			if b, ok = appendValue(b, x[key]); !ok {
				return b, false
			}
		}
		return b, true
	}
	return b, false
}

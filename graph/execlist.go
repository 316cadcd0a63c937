package graph

import (
	"slices"
	"sort"

	"comfyd/nodes"
)

// execList is upstream's ExecutionList (spec 4.2-4.3): the pending nodes
// in insertion order, the "blocking" edges between them, and the UX
// heuristic that picks which ready node runs next.
type execList struct {
	p       *Prompt
	classes map[string]*nodes.Class
	// isCached reports whether a node's outputs are available (cache hit
	// or already computed in this run): such nodes are not scheduled.
	isCached func(id string) bool

	pending    map[string]int // pending node -> insertion sequence number
	seq        int
	blockCount map[string]int
	blocking   map[string][]string // from -> nodes waiting on it, in insertion order
	readyIDs   []string            // pending nodes with blockCount 0, by insertion
	staged     string

	// release, when set, is called with a node whose outputs no pending
	// node links to any more (--cache-none frees them early).
	release   func(id string)
	consumers map[string]int // node -> pending nodes linking to it
}

func newExecList(p *Prompt, classes map[string]*nodes.Class, isCached func(string) bool) *execList {
	return &execList{p: p, classes: classes, isCached: isCached,
		pending: map[string]int{}, blockCount: map[string]int{}, blocking: map[string][]string{},
		consumers: map[string]int{}}
}

func (l *execList) empty() bool { return len(l.pending) == 0 }

// readyIndex finds where the node with sequence number seq is, or goes,
// in readyIDs.
func (l *execList) readyIndex(seq int) int {
	return sort.Search(len(l.readyIDs), func(i int) bool { return l.pending[l.readyIDs[i]] >= seq })
}

func (l *execList) markReady(id string) {
	i := l.readyIndex(l.pending[id])
	l.readyIDs = slices.Insert(l.readyIDs, i, id)
}

func (l *execList) unmarkReady(id string) {
	i := l.readyIndex(l.pending[id])
	if i < len(l.readyIDs) && l.readyIDs[i] == id {
		l.readyIDs = slices.Delete(l.readyIDs, i, i+1)
	}
}

// add schedules id and, depth-first (last input first), every linked
// upstream node that is not cached; lazy inputs are followed only with
// includeLazy.
func (l *execList) add(id string, includeLazy bool) {
	stack := []string{id}
	type edge struct {
		from, to string
	}
	var links []edge
	var added []string
	for len(stack) > 0 {
		cur := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if _, ok := l.pending[cur]; ok {
			continue
		}
		l.seq++
		l.pending[cur] = l.seq
		l.blockCount[cur] = 0
		l.blocking[cur] = nil
		added = append(added, cur)
		n := l.p.Nodes[cur]
		if n == nil {
			continue
		}
		cls := l.classes[cur]
		for _, in := range n.Inputs {
			link, ok := in.Value.(Link)
			if !ok {
				continue
			}
			l.consumers[link.From]++
			lazy := false
			if cls != nil {
				if decl, _, declared := cls.InputByName(in.Name); declared {
					lazy = decl.Lazy()
				}
			}
			if lazy && !includeLazy {
				continue
			}
			if !l.isCached(link.From) {
				stack = append(stack, link.From)
			}
			links = append(links, edge{link.From, cur})
		}
	}
	for _, e := range links {
		l.addStrongLink(e.from, e.to)
	}
	// New nodes carry the newest sequence numbers: appending the unblocked
	// ones keeps readyIDs sorted.
	for _, id := range added {
		if l.blockCount[id] == 0 {
			l.readyIDs = append(l.readyIDs, id)
		}
	}
}

// addStrongLink makes to wait for from, scheduling from if needed. It
// reports whether a new dependency was created.
func (l *execList) addStrongLink(from, to string) bool {
	if l.isCached(from) {
		return false
	}
	l.add(from, false)
	for _, b := range l.blocking[from] {
		if b == to {
			return false
		}
	}
	l.blocking[from] = append(l.blocking[from], to)
	if l.blockCount[to] == 0 {
		l.unmarkReady(to)
	}
	l.blockCount[to]++
	return true
}

// stage picks the next node to run; ok is false when nodes remain but none
// is ready (a dependency cycle).
func (l *execList) stage() (id string, ok bool) {
	if len(l.readyIDs) == 0 {
		return "", false
	}
	l.staged = l.pick(l.readyIDs)
	return l.staged, true
}

func (l *execList) isOutput(id string) bool {
	c := l.classes[id]
	return c != nil && c.OutputNode
}

// pick is upstream's ux_friendly_pick_node: outputs first, then nodes one
// or two hops before an output, else the first ready node.
func (l *execList) pick(ready []string) string {
	for _, id := range ready {
		if l.isOutput(id) {
			return id
		}
	}
	for _, id := range ready {
		for _, b := range l.blocking[id] {
			if l.isOutput(b) {
				return id
			}
		}
	}
	for _, id := range ready {
		for _, b := range l.blocking[id] {
			for _, b2 := range l.blocking[b] {
				if l.isOutput(b2) {
					return id
				}
			}
		}
	}
	return ready[0]
}

func (l *execList) unstage() { l.staged = "" }

// complete removes the staged node and unblocks its dependants.
func (l *execList) complete() {
	id := l.staged
	l.staged = ""
	l.unmarkReady(id)
	delete(l.pending, id)
	for _, b := range l.blocking[id] {
		l.blockCount[b]--
		if l.blockCount[b] == 0 {
			l.markReady(b)
		}
	}
	delete(l.blocking, id)
	if n := l.p.Nodes[id]; n != nil {
		for _, in := range n.Inputs {
			if link, ok := in.Value.(Link); ok {
				l.consumers[link.From]--
				if l.consumers[link.From] == 0 && l.release != nil {
					l.release(link.From)
				}
			}
		}
	}
}

// pendingInOrder lists the pending nodes in insertion order.
func (l *execList) pendingInOrder() []string {
	ids := make([]string, 0, len(l.pending))
	for id := range l.pending {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return l.pending[ids[i]] < l.pending[ids[j]] })
	return ids
}

// cycleNodes is upstream's get_nodes_in_cycle: repeatedly dissolve pending
// nodes that nothing blocks; what remains is in or behind a cycle.
func (l *execList) cycleNodes() []string {
	blockedBy := map[string]map[string]bool{}
	ids := l.pendingInOrder()
	for _, id := range ids {
		blockedBy[id] = map[string]bool{}
	}
	for from, tos := range l.blocking {
		for _, to := range tos {
			if blockedBy[to] != nil {
				blockedBy[to][from] = true
			}
		}
	}
	for {
		var free []string
		for _, id := range ids {
			if m, ok := blockedBy[id]; ok && len(m) == 0 {
				free = append(free, id)
			}
		}
		if len(free) == 0 {
			break
		}
		for _, f := range free {
			delete(blockedBy, f)
			for _, m := range blockedBy {
				delete(m, f)
			}
		}
	}
	var out []string
	for _, id := range ids {
		if _, ok := blockedBy[id]; ok {
			out = append(out, id)
		}
	}
	return out
}

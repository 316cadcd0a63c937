package nodes

import (
	"fmt"
	"sync"
)

// Registry holds the node classes in registration order. It is filled once
// at start-up and read concurrently afterwards.
type Registry struct {
	mu      sync.RWMutex
	classes map[string]*Class
	order   []string
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{classes: map[string]*Class{}} }

// Register adds classes. A duplicate or nameless class is a programming
// error and panics at start-up.
func (r *Registry) Register(classes ...*Class) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range classes {
		if c.Name == "" || c.Run == nil {
			panic(fmt.Sprintf("nodes: class %q needs a name and a Run function", c.Name))
		}
		if _, dup := r.classes[c.Name]; dup {
			panic(fmt.Sprintf("nodes: class %q registered twice", c.Name))
		}
		r.classes[c.Name] = c
		r.order = append(r.order, c.Name)
	}
}

// Get returns a class by name.
func (r *Registry) Get(name string) (*Class, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	c, ok := r.classes[name]
	return c, ok
}

// Names lists class names in registration order.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return append([]string(nil), r.order...)
}

// ObjectInfo renders every class as /object_info does.
func (r *Registry) ObjectInfo(env *Env) map[string]*NodeInfo {
	out := map[string]*NodeInfo{}
	for _, name := range r.Names() {
		c, _ := r.Get(name)
		out[name] = c.Info(env)
	}
	return out
}

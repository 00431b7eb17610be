package workspace

import "container/list"

// lru is a bounded map that forgets the least recently used key first. It
// is not safe for concurrent use; Store guards it.
type lru[K comparable, V any] struct {
	max   int
	order *list.List // front = most recent; values are *lruItem[K, V]
	items map[K]*list.Element
}

type lruItem[K comparable, V any] struct {
	key K
	val V
}

func newLRU[K comparable, V any](max int) *lru[K, V] {
	return &lru[K, V]{max: max, order: list.New(), items: make(map[K]*list.Element)}
}

func (c *lru[K, V]) get(k K) (V, bool) {
	if e, ok := c.items[k]; ok {
		c.order.MoveToFront(e)
		return e.Value.(*lruItem[K, V]).val, true
	}
	var zero V
	return zero, false
}

func (c *lru[K, V]) put(k K, v V) {
	if e, ok := c.items[k]; ok {
		e.Value.(*lruItem[K, V]).val = v
		c.order.MoveToFront(e)
		return
	}
	c.items[k] = c.order.PushFront(&lruItem[K, V]{key: k, val: v})
	for c.order.Len() > c.max {
		old := c.order.Back()
		c.order.Remove(old)
		delete(c.items, old.Value.(*lruItem[K, V]).key)
	}
}

func (c *lru[K, V]) len() int { return c.order.Len() }

// keys returns the keys, most recently used first.
func (c *lru[K, V]) keys() []K {
	ks := make([]K, 0, c.order.Len())
	for e := c.order.Front(); e != nil; e = e.Next() {
		ks = append(ks, e.Value.(*lruItem[K, V]).key)
	}
	return ks
}

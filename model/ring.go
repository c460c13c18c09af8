package model

// Ring is a fixed-capacity history buffer that keeps the newest values. It is
// not safe for concurrent use; its owner guards it.
type Ring[T any] struct {
	buf   []T
	next  int // index the next Push writes
	count int
}

// NewRing returns a ring holding at most capacity values (at least 1).
func NewRing[T any](capacity int) *Ring[T] {
	if capacity < 1 {
		capacity = 1
	}
	return &Ring[T]{buf: make([]T, capacity)}
}

// Push appends v, overwriting the oldest value when full. It never allocates.
func (r *Ring[T]) Push(v T) {
	r.buf[r.next] = v
	r.next++
	if r.next == len(r.buf) {
		r.next = 0
	}
	if r.count < len(r.buf) {
		r.count++
	}
}

// Len is the number of values held.
func (r *Ring[T]) Len() int { return r.count }

// Cap is the capacity.
func (r *Ring[T]) Cap() int { return len(r.buf) }

// At returns the i-th value, 0 being the oldest held.
func (r *Ring[T]) At(i int) T {
	start := r.next - r.count
	if start < 0 {
		start += len(r.buf)
	}
	j := start + i
	if j >= len(r.buf) {
		j -= len(r.buf)
	}
	return r.buf[j]
}

// Last returns the newest value and whether there is one.
func (r *Ring[T]) Last() (T, bool) {
	if r.count == 0 {
		var zero T
		return zero, false
	}
	return r.At(r.count - 1), true
}

// AppendLast appends the newest n values (oldest first) to dst.
func (r *Ring[T]) AppendLast(dst []T, n int) []T {
	if n > r.count {
		n = r.count
	}
	for i := r.count - n; i < r.count; i++ {
		dst = append(dst, r.At(i))
	}
	return dst
}

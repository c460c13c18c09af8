package model

import (
	"reflect"
	"testing"
	"unsafe"
)

// filled returns a Sample whose every field holds a value derived from seed,
// and whose Opt flags alternate with seed, set by reflection so that a field
// added to Sample is covered without editing this test.
func filled(seed int) Sample {
	var s Sample
	v := reflect.ValueOf(&s).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		n := int64(seed*100 + i + 1)
		set := func(x reflect.Value) {
			switch x.Kind() {
			case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
				x.SetInt(-n)
			case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
				x.SetUint(uint64(n) << 20 >> 20)
			case reflect.Float32, reflect.Float64:
				x.SetFloat(float64(n) / 3)
			case reflect.Bool:
				x.SetBool(true)
			default:
				panic("filled: pack and fill a " + x.Kind().String())
			}
		}
		if f.Kind() == reflect.Struct { // Opt[T]
			set(f.Field(0))
			f.Field(1).SetBool((seed+i)%3 != 0)
			continue
		}
		set(f)
	}
	return s
}

// Every field and flag of Sample comes back as pushed, across wrap-around,
// and the ring answers as Ring[Sample] does.
func TestSampleRingRoundTrip(t *testing.T) {
	for _, capacity := range []int{1, 2, 7, 100} {
		packed, plain := NewSampleRing(capacity), NewRing[Sample](capacity)
		for seed := range 2*capacity + 3 {
			s := filled(seed)
			packed.Push(s)
			plain.Push(s)
			if packed.Len() != plain.Len() || packed.Cap() != plain.Cap() {
				t.Fatalf("cap %d: len/cap %d/%d, Ring %d/%d", capacity, packed.Len(), packed.Cap(), plain.Len(), plain.Cap())
			}
			got, ok := packed.Last()
			if !ok || !reflect.DeepEqual(got, s) {
				t.Fatalf("cap %d: Last = %+v\nwant %+v", capacity, got, s)
			}
			for _, n := range []int{0, 1, capacity / 2, capacity, capacity + 5} {
				if g, w := packed.AppendLast(nil, n), plain.AppendLast(nil, n); !reflect.DeepEqual(g, w) {
					t.Fatalf("cap %d, %d pushed: AppendLast(%d) differs from Ring's", capacity, seed+1, n)
				}
			}
		}
	}
	if _, ok := NewSampleRing(3).Last(); ok {
		t.Error("an empty ring has a last sample")
	}
}

// The point of the packing: a fast sample of history costs 88 bytes, not 160.
func TestSampleRingSize(t *testing.T) {
	p, s := unsafe.Sizeof(packedSample{}), unsafe.Sizeof(Sample{})
	t.Logf("packed %d bytes, Sample %d bytes", p, s)
	if p > 88 {
		t.Errorf("packedSample is %d bytes, want at most 88 (Sample: %d)", p, s)
	}
}

func TestSampleRingPushDoesNotAllocate(t *testing.T) {
	r := NewSampleRing(64)
	s := filled(1)
	if n := testing.AllocsPerRun(100, func() { r.Push(s) }); n != 0 {
		t.Errorf("Push allocates %v times", n)
	}
}

// Push and read back 16 samples (what a frame asks for) against Ring[Sample]:
// packing costs a few nanoseconds a sample.
func BenchmarkSampleRing(b *testing.B) {
	s := filled(1)
	dst := make([]Sample, 0, 16)
	b.Run("packed", func(b *testing.B) {
		r := NewSampleRing(1201)
		for b.Loop() {
			r.Push(s)
			dst = r.AppendLast(dst[:0], 16)
		}
	})
	b.Run("Ring", func(b *testing.B) {
		r := NewRing[Sample](1201)
		for b.Loop() {
			r.Push(s)
			dst = r.AppendLast(dst[:0], 16)
		}
	})
}

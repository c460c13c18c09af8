package safe

import (
	"reflect"
	"sync"
)

// Walk makes every string reachable from ptr (a pointer) safe in place:
// struct fields, slices, arrays, maps (keys and values) and pointers are
// followed. A string field is cleaned with Line, or with Block when tagged
// `safe:"block"`; a []string field tagged `safe:"cmd"` keeps only the
// entries CommandOK accepts. Types without strings are skipped cheaply, so
// walking a snapshot's millions of samples costs little.
func Walk(ptr any) {
	v := reflect.ValueOf(ptr)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return
	}
	walk(v.Elem(), modeLine)
}

type mode int

const (
	modeLine mode = iota
	modeBlock
	modeCmd
)

var hasStrings sync.Map // reflect.Type -> bool

func typeHasStrings(t reflect.Type) bool {
	if v, ok := hasStrings.Load(t); ok {
		return v.(bool)
	}
	hasStrings.Store(t, true) // recursion guard: assume yes while computing
	r := computeHasStrings(t)
	hasStrings.Store(t, r)
	return r
}

func computeHasStrings(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.String:
		return true
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return typeHasStrings(t.Elem())
	case reflect.Map:
		return typeHasStrings(t.Key()) || typeHasStrings(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			if f.IsExported() && typeHasStrings(f.Type) {
				return true
			}
		}
	}
	return false
}

func walk(v reflect.Value, m mode) {
	if !typeHasStrings(v.Type()) {
		return
	}
	switch v.Kind() {
	case reflect.String:
		if !v.CanSet() {
			return
		}
		s := v.String()
		var c string
		if m == modeBlock {
			c = Block(s)
		} else {
			c = Line(s)
		}
		if c != s {
			v.SetString(c)
		}
	case reflect.Pointer:
		if !v.IsNil() {
			walk(v.Elem(), m)
		}
	case reflect.Slice:
		if m == modeCmd && v.Type().Elem().Kind() == reflect.String && v.CanSet() {
			n := 0
			for i := range v.Len() {
				if CommandOK(v.Index(i).String()) {
					v.Index(n).Set(v.Index(i))
					n++
				}
			}
			if n != v.Len() {
				v.SetLen(n)
			}
			return
		}
		for i := range v.Len() {
			walk(v.Index(i), m)
		}
	case reflect.Array:
		for i := range v.Len() {
			walk(v.Index(i), m)
		}
	case reflect.Map:
		rebuildMap(v, func(k, e reflect.Value) {
			walk(k, modeLine)
			walk(e, m)
		})
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			fm := modeLine
			switch f.Tag.Get("safe") {
			case "block":
				fm = modeBlock
			case "cmd":
				fm = modeCmd
			}
			walk(v.Field(i), fm)
		}
	}
}

// Map replaces every string reachable from ptr (a pointer) by f(string), in
// place, following the same paths as Walk and ignoring its tags. Callers
// use it to bound lengths; the value must not share slices or maps with
// data that has to stay unchanged.
func Map(ptr any, f func(string) string) {
	v := reflect.ValueOf(ptr)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return
	}
	mapValue(v.Elem(), f)
}

func mapValue(v reflect.Value, f func(string) string) {
	if !typeHasStrings(v.Type()) {
		return
	}
	switch v.Kind() {
	case reflect.String:
		if v.CanSet() {
			if s, c := v.String(), f(v.String()); c != s {
				v.SetString(c)
			}
		}
	case reflect.Pointer:
		if !v.IsNil() {
			mapValue(v.Elem(), f)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			mapValue(v.Index(i), f)
		}
	case reflect.Map:
		rebuildMap(v, func(k, e reflect.Value) {
			mapValue(k, f)
			mapValue(e, f)
		})
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				mapValue(v.Field(i), f)
			}
		}
	}
}

// rebuildMap replaces the map v by a copy whose keys and elements visit has
// changed in place (map entries cannot be set through reflection).
func rebuildMap(v reflect.Value, visit func(k, e reflect.Value)) {
	if v.IsNil() || !v.CanSet() {
		return
	}
	t := v.Type()
	out := reflect.MakeMapWithSize(t, v.Len())
	it := v.MapRange()
	for it.Next() {
		k := reflect.New(t.Key()).Elem()
		k.Set(it.Key())
		e := reflect.New(t.Elem()).Elem()
		e.Set(it.Value())
		visit(k, e)
		out.SetMapIndex(k, e)
	}
	v.Set(out)
}

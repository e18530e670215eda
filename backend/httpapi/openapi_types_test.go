package httpapi

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"halochat/app/protocol"
)

// TestOpenAPISchemasAreTheWireJSON: every component schema lists exactly
// the properties encoding/json writes for its type (embedded structs
// inline, nested objects, array items, map values), at every depth.
func TestOpenAPISchemasAreTheWireJSON(t *testing.T) {
	cs := oaComponents()
	schemas, err := oaSchemas(cs)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		t.Run(c.name, func(t *testing.T) {
			b, err := json.Marshal(filled(c.typ).Interface())
			if err != nil {
				t.Fatal(err)
			}
			var doc any
			if err := json.Unmarshal(b, &doc); err != nil {
				t.Fatal(err)
			}
			for _, p := range sameShape(schemas, schemas[c.name].(jsonObj), doc, c.name) {
				t.Error(p)
			}
		})
	}
}

// TestOpenAPINotesNameProperties: a note on a property the type lacks
// (a renamed or removed field) is an error, not a silent stale line.
func TestOpenAPINotesNameProperties(t *testing.T) {
	for _, path := range []string{"nmae", "appearance.color", "identity.hs256Secrets.kid", "weekly[]"} {
		_, err := oaSchemas([]oaComponent{{"ChatProfile", reflect.TypeFor[protocol.ChatProfile](), nil,
			map[string]jsonObj{path: oaNote("x")}}})
		if err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("a note at %q: error %v, want one naming it", path, err)
		}
	}
}

// filled is a value of t with every field set, so that encoding/json
// writes each (omitempty or not) with one item in each list and map.
func filled(t reflect.Type) reflect.Value {
	v := reflect.New(t).Elem()
	switch {
	case t == reflect.TypeFor[time.Time]():
		v.Set(reflect.ValueOf(time.Date(2026, 11, 3, 9, 30, 0, 0, time.UTC)))
	case t == reflect.TypeFor[json.RawMessage]():
		v.SetBytes([]byte(`{"any":"document"}`))
	default:
		switch t.Kind() {
		case reflect.String:
			v.SetString("x")
		case reflect.Bool:
			v.SetBool(true)
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			v.SetInt(1)
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			v.SetUint(1)
		case reflect.Pointer:
			v.Set(filled(t.Elem()).Addr())
		case reflect.Slice:
			v.Set(reflect.Append(v, filled(t.Elem())))
		case reflect.Map:
			v.Set(reflect.MakeMap(t))
			v.SetMapIndex(reflect.ValueOf("k"), filled(t.Elem()))
		case reflect.Struct:
			for i := range t.NumField() {
				if t.Field(i).IsExported() {
					v.Field(i).Set(filled(t.Field(i).Type))
				}
			}
		case reflect.Interface:
			v.Set(reflect.ValueOf("x"))
		}
	}
	return v
}

// sameShape lists where schema s (with $refs into schemas) and the JSON
// value doc disagree on an object's property names.
func sameShape(schemas, s jsonObj, doc any, at string) []string {
	if ref, ok := s["$ref"].(string); ok {
		s = schemas[strings.TrimPrefix(ref, "#/components/schemas/")].(jsonObj)
	}
	switch d := doc.(type) {
	case map[string]any:
		if props, ok := s["properties"].(jsonObj); ok {
			var want, got []string
			for k := range props {
				want = append(want, k)
			}
			for k := range d {
				got = append(got, k)
			}
			slices.Sort(want)
			slices.Sort(got)
			if !slices.Equal(want, got) {
				return []string{at + ": the schema lists " + strings.Join(want, ",") + "; the JSON has " + strings.Join(got, ",")}
			}
			var out []string
			for k, v := range d {
				out = append(out, sameShape(schemas, props[k].(jsonObj), v, at+"."+k)...)
			}
			return out
		}
		if ap, ok := s["additionalProperties"].(jsonObj); ok {
			var out []string
			for k, v := range d {
				out = append(out, sameShape(schemas, ap, v, at+"{"+k+"}")...)
			}
			return out
		}
		if s["type"] != "object" {
			return []string{at + ": an object where the schema says " + typeOf(s)}
		}
	case []any:
		items, ok := s["items"].(jsonObj)
		if !ok {
			return []string{at + ": a list where the schema says " + typeOf(s)}
		}
		var out []string
		for _, v := range d {
			out = append(out, sameShape(schemas, items, v, at+"[]")...)
		}
		return out
	}
	return nil
}

func typeOf(s jsonObj) string {
	if t, ok := s["type"].(string); ok {
		return t
	}
	return "anything"
}

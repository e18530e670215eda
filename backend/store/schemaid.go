package store

import (
	"crypto/sha256"
	"encoding/hex"
)

// SchemaID names the schema the migrations build on dialect
// (DialectPostgres or DialectSQLite): a hex hash of every migration's
// name and SQL for that dialect, in order. A new migration, or a dialect's
// different text, gives another. The tests keep one migrated database a
// schema and copy it (storetest).
func SchemaID(dialect string) string {
	h := sha256.New()
	for _, m := range schemaMigrations() {
		h.Write([]byte(m.name))
		h.Write([]byte{0})
		h.Write([]byte(dialectSQL(dialect, m.sql)))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:10])
}

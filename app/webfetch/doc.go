// Package webfetch makes HTTP calls from the browser (GOOS=js) with its
// fetch API. The widget and the console use it instead of net/http's
// client, which would add about 5 MB (1 MB brotli) to their wasm for the
// same fetch underneath (measured: docs/BENCHMARKS.md).
package webfetch

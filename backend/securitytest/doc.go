// Package securitytest holds the service's security tests: a catalogue of
// malformed and hostile requests against every public endpoint, token and
// access checks, abuse limits, security headers, and secrets kept out of
// the logs. Every test runs the assembled service (service.New) on
// loopback over the demo seed, on SQLite and on PostgreSQL.
package securitytest

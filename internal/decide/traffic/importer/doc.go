// Package importer reads the per-AS traffic tables and flow exports of the
// tools operators already run into a traffic store: Akvorado (the JSON of
// its console's line graph API), pmacct (the print plugin's CSV), nfdump
// (`nfdump -o csv` flow records, attributed with our routes like collected
// flows) and a plain `asn,direction,mbps` CSV.
//
// Every file is untrusted: sizes, line lengths and row counts are
// bounded, numbers are checked (finite, non-negative, within a physical
// bound), and a row that does not parse is counted and skipped with its
// line number, never guessed.
package importer

// Package table reads and writes crosswalk tables in the form users already
// have: the "CMMI Crosswalk Quick Start Guide" table (CMMI practice,
// relationship, ISO clause), as CSV or TSV, including a copy-paste of the
// published guide with its quirks (testdata/seed-excerpt.tsv is one, kept
// byte for byte). It knows nothing of the catalog, the frameworks or the
// relationship algebra: Parse returns rows as written plus every problem it
// can see on its own, and the importer validates practices, clauses,
// relationships and duplicates against its own knowledge.
//
// # Reading
//
// Parse reads the whole input (at most MaxBytes and MaxRows non-empty rows)
// with encoding/csv: LazyQuotes, a variable number of fields, and
// TrimLeadingSpace except when the delimiter is a tab (encoding/csv trims a
// white-space delimiter too, which would swallow the empty leading cells of
// a continuation row); every cell is trimmed of surrounding white space. A
// UTF-8 byte order mark is dropped, CRLF line endings read as LF, quoted
// cells may hold delimiters and newlines. Options.Comma 0 picks a tab when
// the first non-empty line holds one outside double quotes, else a comma. Rows whose cells are
// all empty are skipped.
//
// Cells are recognized by what they hold:
//
//   - a practice label: ^[A-Z]{2,5}\s*-?\s*\d\.\d{1,3}$ ("RISK 3.1");
//   - a relationship: an optional number ("2.", "2)" or "2"), then "subset
//     of", "intersects with", "equal", "superior of", "superset of", "not
//     related", "no relationship" or the other spellings the relationship
//     parser reads (case, '_' and '-' ignored); whether the number agrees
//     with the word is for that parser to say;
//   - a clause id: an optional "ISO" or "ISO/IEC" prefix, then a numbered
//     clause (4.1, 10.2; the first number has at most three digits, so that
//     a standard's number such as 42001 is not a clause), a paragraph item
//     (4.1.2.p.1.a) or an Annex id (A.6.2.4). Row.Clause drops the prefix
//     and keeps the rest as written;
//   - anything else is free text: category, capability area, domain,
//     practice area or clause topic, told apart by position.
//
// # Header and positions
//
// Rows at the top with no recognized cell and at least one cell naming a
// column ("CMMI Model", "Category", "Capability Area (CA)", "Domain",
// "Practice Area (PA)", "Practice Label", "Relationship", "ISO Clause ID",
// "ISO Clause Topic", a standard's name such as "ISO / IEC 42001", ...) are
// header rows; there may be none, one, or several (the seed has two, the
// second shifted right). Their columns merge, a specific name winning over a
// generic one ("Category" over "CMMI Model", "ISO Clause ID" over "ISO / IEC
// 42001"); once they name the practice and the clause columns they give the
// layout. Without a header the layout is the seed's data layout: category,
// capability area, domain, practice area, practice label, relationship,
// clause id, clause topic. A header row below the data is a problem.
//
// Positions are read relative to the row's anchor: its practice label, or
// else its clause id, or else its relationship. The anchor's column minus
// its layout column is the row's shift, and every other role sits at its
// layout column plus the shift. So a row with an extra leading cell, a row
// missing leading cells, the seed's header (one column ahead of its data)
// and the seed's continuation rows (whose clause id sits where the header
// says "Relationship") all read right: the practice area is the cell before
// the practice label, and so on back to the category. The practice,
// relationship and clause come from the recognized cells wherever they are;
// positions only place the free text and say which cell was meant where
// nothing is recognized. The topic is the free-text cell at the layout's
// distance from the clause id, or else at its shifted layout column.
//
// # Continuation
//
// A row with no practice label continues the row above: it inherits the
// category, capability area, domain, practice area, practice and, when its
// relationship cell is empty, the relationship; leading cells it does write
// must agree with the row above. A row with a practice label inherits the
// category, capability area and domain it leaves empty, and the practice
// area too when its practice has the same acronym as the one above (a
// practice area is not carried over to another area's practice). It never
// inherits the relationship. Row.Inherited names what was inherited.
//
// # Problems
//
// Every data problem becomes a Problem with the line the row starts on and
// a column name (the Column* constants); Parse goes on to the end and
// reports them all. A row with a problem, and the rows continuing it, are
// left out of the rows. The problems are: a row with no recognizable cell;
// a header row below the data; two cells that both look like a practice
// label, a relationship or a clause id ("ambiguous row": the positions
// disagree and the row cannot tell which is meant); free text where the
// practice label belongs (malformed label); free text where the
// relationship belongs (unknown relationship); a row with a practice label
// and no relationship; no clause id; a first data row with no practice
// label; a continuation row whose leading cells disagree with the row
// above; a CSV syntax error.
//
// # Writing
//
// Write writes the clean form: the Header row, then every row complete
// (nothing left to inheritance), the relationship as given, the clause id
// without an "ISO " prefix, quoted by encoding/csv. Parse reads it back to
// the same rows (line numbers and Inherited aside); FuzzParse checks this.
package table

"""The researcher's own library (issue 16): PDFs, notes and BibTeX indexed in SQLite FTS5,
searched by BM25 within what the value profile's filters keep.

Modules: model (plain data), readers and bib (files into documents), ingest (adding,
re-indexing), index (the SQLite file), filters (the profile's filters over documents),
search (BM25 within them), cite ([n] markers of an answer). Import them directly: this
package imports nothing, so that the app starts without loading the readers.
"""

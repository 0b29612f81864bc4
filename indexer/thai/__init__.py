"""Pure functions for Thai text: digits, repair of extracted text, dates, places, the
words Khlang knows beyond pythainlp's list (``lexicon``) and OCR's tone marks put right.

Nothing here touches the database, the store or the index: each function takes text and
returns text or values, so each is tested with examples from real documents.
"""

"""The ingestion pipeline and the search core: identify, extract, repair, classify, index."""

"""What the JSON API accepts and answers, declared once as pydantic models.

Each query string, request body and answer of /api/ is a model here; ``spec`` turns them
into the OpenAPI 3.1 document at /api/openapi.json and checks requests against them
(through spectree), so no route repeats a check the document states. ``documents`` also
holds what a visitor may see of a document (``PublicDocument``) against what staff see.

May import pydantic, spectree, Flask and the constants of schemas/ and indexer/; never the
route modules (they import this package).
"""

"""What the JSON API accepts and answers, declared once as pydantic models.

Each query string, request body and answer of /api/ is a model here; ``spec`` turns them
into the OpenAPI 3.1 document at /api/openapi.json and checks requests against them
(through spectree), so no route repeats a check the document states. ``documents`` also
holds what a visitor may see of a document (``PublicDocument``) against what staff see.

May import pydantic, spectree, Flask, service.errors and the constants of schemas/, indexer/
and service.actions (the selection limit); never the routes (service/api/, which import this
package). Pages and actions read query strings through ``spec.read_query`` too.
"""

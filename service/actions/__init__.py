"""What Khlang does for a person, whichever door they came in by: the pages and the JSON
API both call these functions, so a rule lives once.

One module per resource (documents, links, search, uploads, inventory, gaps). Each function
takes plain arguments (the asking principal is the request's, ``flask.g.principal``, as
service.access reads it), returns plain data, and refuses with a typed
``service.errors.KhlangError`` that the API answers as JSON and a page as a message.

May import: indexer, schemas, archive, and service.access, auth, context, errors,
inventory_view, search_slots; never service.api or the page modules.
"""

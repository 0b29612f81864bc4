"""What Khlang does for a person, whichever door they came in by: the pages, the JSON API
(and for accounts and the inventory, the CLI) call these functions, so a rule lives once.

One module per resource: documents, links, search, uploads, inventory, gaps, publication,
bulk, accounts. Each function takes plain arguments (the asking principal is the
request's, ``flask.g.principal``, as service.access reads it), returns plain data, and
refuses with a typed ``service.errors.KhlangError`` that the API answers as JSON and a
page as a message.

May import: indexer, schemas, archive, and service.access, auth, context, errors,
search_slots (and the app factory's index repair); never service.api or service.pages.
"""

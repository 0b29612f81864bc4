"""Data definitions for Khlang: the settings table (config), database models, migrations,
the index schema, and the label catalogue (labels: what each code is called in Thai and
English, here because both the indexer's reports and the service's pages need it).

Everything else depends on this package; it depends on nothing of Khlang's.
"""

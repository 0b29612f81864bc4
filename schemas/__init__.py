"""Data definitions for Khlang: configuration, database models, migrations, index schema.

Everything else depends on this package; it depends on nothing of Khlang's.
"""

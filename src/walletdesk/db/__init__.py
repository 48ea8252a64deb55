"""Database plumbing: engines, the retrying unit of work, shared column types, migrations."""

"""record: the audit store — decisions, signed sign-offs and waivers, and a hash-chained event log.

One module per job: :mod:`config` (which database), :mod:`engine` (connections, locking),
:mod:`tables` (schema), :mod:`migrate` (Alembic, run on open), :mod:`chain` (the hash chain),
:mod:`store` (the API), :mod:`sources` (sign-off/waiver sources for the evaluator),
:mod:`views` (status and history). Nothing here is imported unless a command records or reads
the store, so `govern check --no-record` never pays for SQLAlchemy.
"""

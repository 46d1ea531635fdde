"""record: the audit store -- decisions, signed sign-offs and waivers, and a verifiable event log.

One module per job: :mod:`config` (which database, checkpoint schedule), :mod:`engine`
(connections, locking), :mod:`tables` (schema), :mod:`migrate` (Alembic, run on open),
:mod:`rows` (the canonical content of a row, as events record it), :mod:`chain` (an event's
hash and Merkle leaf), :mod:`merkle` (RFC 9162 tree math, no SQL), :mod:`log` (appending
leaves, stored nodes, proofs), :mod:`checkpoint` (signed tree heads), :mod:`proof`
(inclusion proofs checked offline), :mod:`audit` (`audit verify`), :mod:`store` (the API),
:mod:`recorded` and :mod:`views` (what the log recorded, for status and history),
:mod:`sources` (sign-off/waiver sources for the evaluator). Nothing here is imported unless a
command records or reads the store, so `govern check --no-record` never pays for SQLAlchemy.
"""

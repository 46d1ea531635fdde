"""notify: sign-off requests, and telling people what the audit store says needs them.

A feature over the store (beside report and output, below the front ends), one module per job:
:mod:`requests` (recording a sign-off request, and which requests are still open -- re-derived
from verified sign-offs, never a flag), :mod:`config` (the one notification file, secrets from
the environment), :mod:`due` (what deserves a notification now), :mod:`channels` (webhook and
email), :mod:`delivery` (retries, and the 'notification sent' events that make each notice go
out once) and :mod:`run` (the whole pass, which `govern notify` and the server call). Nothing
here is imported at `govern` start-up.
"""

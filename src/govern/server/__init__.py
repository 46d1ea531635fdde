"""The web console and HTTP API (`govern serve`): another front end over the audit store, beside the CLI.

Modules, one job each: :mod:`settings` (what `govern serve` was told), :mod:`tokens` (bearer
tokens, stored hashed), :mod:`auth` (who is asking: token, trusted header, loopback
anonymous; what each role may see), :mod:`ratelimit`, :mod:`csrf`, :mod:`security` (response
headers), :mod:`access` (the auditors' access log), :mod:`data` (the views the pages and the
API share, computed by :mod:`govern.record.views` and verified as the CLI verifies),
:mod:`submit` (a POSTed signed record, verified as `govern sign` verifies before storing),
:mod:`api` and :mod:`pages` (the routes), :mod:`app` (the application), :mod:`command`
(`govern serve`, `govern tokens`).

FastAPI, Starlette, Jinja2 and uvicorn come with the ``console`` extra and are imported only
by these modules, never when `govern` starts.
"""

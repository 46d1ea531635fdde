"""`govern explain`: `govern check --explain`, for people asking why a gate is closed."""

from __future__ import annotations

import click

from govern.cli.check import check



explain = click.Command(
    name="explain", params=[p for p in check.params if p.name != "explain"],
    callback=lambda **kwargs: check.callback(explain=True, **kwargs),
    help="Why may (or may not) a model enter a stage? Same options as `govern check`; prints, for each "
         "blocking item, tier → rule → template → gate → check → measured value vs condition → evidence file.",
)

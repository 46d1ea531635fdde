"""The verdict written back to a model registry, and the registry checked against the audit log.

:mod:`~govern.registry.promote` moves a stage's alias only when a recorded decision allows it
(``govern check --mlflow … --promote STAGE``) and records the move as an audit event;
:mod:`~govern.registry.verify` (``govern verify-registry``) finds every governed alias that no
valid decision accounts for. A feature over the store and the MLflow evidence source, beside
``report`` and ``output`` in the layers (docs/architecture.md).
"""

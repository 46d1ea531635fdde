"""Readers for what ML tools already write, each mapped into an evidence role govern knows.

One module per tool: the Hugging Face model card's ``model-index`` (→ ``metrics``), Great
Expectations, Evidently and Deepchecks results (→ ``suite_results``, judged by the ``suite``
check) and DVC's ``dvc.lock``/``dvc.yaml`` (→ ``lineage``). None of them imports the tool: the
files are untrusted evidence read through :mod:`govern.evidence.reading` like every other, so
govern judges what a pipeline produced without running the pipeline's libraries.
"""

"""The report's view-model, one module per section of the PDF (numbered as in ``reports/sections/``).

Each ``build_*`` function takes ``Decision.to_dict()`` and whichever of the policy, plan and
evidence bundle that section needs, and returns plain data for its template.
:mod:`govern.report.context` calls them in order; the audit trail (section 12) comes from
:mod:`govern.report.audit` and the figures from :mod:`govern.report.figures`.

* ``cover`` (1) · ``summary`` (2) · ``classification`` (3) · ``people`` (4, and the name
  lookups other sections use) · ``gates`` (5) · ``fairness`` (6) · ``drift`` (7, with data
  quality) · ``performance`` (8) · ``lineage`` (9) · ``signoffs`` (10) · ``reproducibility``
  (11, with the embedded evidence manifest) · ``appendix`` (13)
* ``common`` — what several sections read the same way
"""

"""Operational metrics in Prometheus' format: what operators watch, never who.

`metrics.instruments` declares every metric the service exports, with bounded
label sets (categories, rule ids, reason codes, source ids, outcomes); no CPR
number, person, organisation or decision id is ever a label. The layers record
into them; `metrics.exposition` renders them for `/metrics`, across worker
processes when the service runs several.
"""

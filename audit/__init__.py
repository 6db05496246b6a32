"""The audit trail: append-only, hash-chained records of every decision and
disclosure, the citizen's access log, auditor queries and FHIR export."""

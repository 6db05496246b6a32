"""The pilot's evaluation, read from the service's own records, privacy-safe.

Built only from audit-trail metadata (who asked, in which role and sector, for
what, with which outcome and reasons; sources' status; registry writes), never
from source data. Every published cell counts at least five distinct children
(`evaluation.suppression`), no CPR number or person identifier appears, and the
figures come as CSV, SVG charts and one HTML page (`evaluation.report`).
"""

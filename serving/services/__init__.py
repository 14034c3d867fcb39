"""The plan's services over the scores (issue 19): credit reports, programs, inspections, clear-out.

Each module reads records and scores through ``serving.queries`` with the caller's principal, so zone
scoping and masking are the API's; what they decide is set in the versioned ``policy.toml``.
"""

"""The domain model every layer shares: canonical keys, the extraction document, report identity.

It imports nothing else of the project (see docs/architecture.md).
"""

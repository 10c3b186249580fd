"""Extraction: pure functions from fetched bytes to the `nianbao extract` document (no Scrapy)."""

"""The nianbao archive: one SQLite file plus WARC files, and everything that reads them."""
__version__ = "0.1.0"

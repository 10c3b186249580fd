"""The nianbao archive: one SQLite file plus WARC files, and everything that reads them."""
import sys as _sys

__version__ = "0.1.0"


def _sqlite_utils_without_pandas() -> None:
    """sqlite_utils imports pandas, when installed, only to map `pd.Timestamp` values to TEXT
    columns; the archive never inserts one, and pandas costs ~85 MB in every process that writes
    (the crawl). Import sqlite_utils with pandas hidden; a later `import pandas` works as usual."""
    if "sqlite_utils" in _sys.modules or "pandas" in _sys.modules:
        return
    _sys.modules["pandas"] = None   # ImportError for this import only
    try:
        import sqlite_utils.db  # noqa: F401
    finally:
        if _sys.modules.get("pandas", 0) is None:
            del _sys.modules["pandas"]


_sqlite_utils_without_pandas()

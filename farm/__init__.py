"""The sample portal farm: local fake government portals (portals.md §4) with a ground-truth manifest."""
from farm.server import Farm

__all__ = ["Farm"]

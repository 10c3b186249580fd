"""The sample portal farm: local fake government portals (docs/adapters.md) with a ground-truth manifest."""
from farm.server import Farm

__all__ = ["Farm"]

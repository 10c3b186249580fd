"""The mock portals, one module per CMS family (portals.md §4)."""
from __future__ import annotations


def build_portals(farm) -> list:
    from farm.portals.trs import TrsPortal
    classes = [TrsPortal]
    return [cls(farm) for cls in classes]

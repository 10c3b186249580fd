"""The mock portals, one module per CMS family (docs/adapters.md)."""
from __future__ import annotations


def build_portals(farm) -> list:
    from farm.portals.bombs import BombsPortal
    from farm.portals.epoint import EpointPortal
    from farm.portals.gkmlpt import GkmlptPortal
    from farm.portals.hanweb import HanwebCountyPortal, HanwebProvPortal
    from farm.portals.hanweb_alias import HanwebAliasPortal
    from farm.portals.hostile import HostilePortal
    from farm.portals.hunan import HunanPortal
    from farm.portals.jsplist import JspListPortal
    from farm.portals.nonb import NoNianbaoPortal
    from farm.portals.realdocs import RealDocsPortal
    from farm.portals.trs import TrsPortal, variant_portals
    from farm.portals.ucap import UcapPortal
    from farm.portals.ylcms import YlcmsPortal
    from farm.portals.ylcms_leaf import YlcmsLeafPortal
    classes = [HanwebCountyPortal, HanwebProvPortal, TrsPortal, GkmlptPortal, YlcmsPortal, HunanPortal]
    extras = [HanwebAliasPortal(farm), YlcmsLeafPortal(farm),   # opt-in: Portal.extra
              HostilePortal(farm),   # listed only by farm/portals/hostile.py
              BombsPortal(farm),     # listed only by farm/portals/bombs.py
              RealDocsPortal(farm)]  # listed only by farm/portals/realdocs.py
    generic = [EpointPortal(farm), UcapPortal(farm), JspListPortal(farm),   # opt-in: no adapter targets their
               NoNianbaoPortal(farm)]   # families (farm/portals/sitekit.py); the last has no 年报 column
    return [cls(farm) for cls in classes] + variant_portals(farm) + extras + generic

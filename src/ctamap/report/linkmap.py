"""The link maps `report` joins against: read by `ctamap.linkmap`, the module `instrument`
writes them with, and merged by link ID (one ID must mean one entry across maps)."""

from __future__ import annotations

from ctamap.linkmap import LinkMapEntry
from ctamap.linkmap import read_many as load_link_maps

__all__ = ["LinkMapEntry", "load_link_maps"]

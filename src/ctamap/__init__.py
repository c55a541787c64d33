"""ctamap: inventory, audit and instrument the calls-to-action in email templates."""

from __future__ import annotations

from ctamap.errors import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, ConfigError, CtamapError, InputError
from ctamap.platforms import THIRD_PARTY_PLATFORMS

__version__ = "0.1.0"

__all__ = [
    "EXIT_ERROR",
    "EXIT_FINDINGS",
    "EXIT_OK",
    "THIRD_PARTY_PLATFORMS",
    "ConfigError",
    "CtamapError",
    "InputError",
    "__version__",
]

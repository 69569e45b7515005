"""ictalog host tools: decode, analyse and report a wearable's seizure-screening log."""

__version__ = "0.1.0"

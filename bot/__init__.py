"""briefbot: put Dutch policy letters to work inside a Discord community."""

__version__ = "0.1.0"

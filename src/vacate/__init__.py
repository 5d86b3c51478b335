"""Vacate: take compute hosts out of service without hurting the instances on them."""

__version__ = "0.1.0"

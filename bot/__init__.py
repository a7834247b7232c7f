"""Meldwijzer Maastricht: where to report what, your area team and its spreekuren."""

__version__ = "0.1.0"

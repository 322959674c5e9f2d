"""Parsers: one per artifact family, each keeps positions."""

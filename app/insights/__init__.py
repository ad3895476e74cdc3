"""Demand insights for creators: what businesses ask for, and how the creator's offers fare."""

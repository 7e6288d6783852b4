"""GBCS codec."""

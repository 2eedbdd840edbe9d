"""Disclosure rules, the chef's own data, erasure and retention."""

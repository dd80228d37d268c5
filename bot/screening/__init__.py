"""Whole registries at once: `zhucan screen` (screen), the rules compiled to SQL by rules.sql."""

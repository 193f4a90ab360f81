"""Tokens and cost per agent, read from each agent's own records (no API keys)."""

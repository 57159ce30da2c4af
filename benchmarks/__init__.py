"""Benchmarks: scripts that measure the bot against local fakes (see README.md here)."""

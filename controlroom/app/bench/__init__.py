"""Benchmarks behind ``controlroom bench``: each returns a dict of named figures."""

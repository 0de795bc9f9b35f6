"""Tickscope's browser client: one package for every Python engine, importable under CPython."""

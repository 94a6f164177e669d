"""Coordinate descent: greedy block coordinate descent (Nutini, Laradji & Schmidt)."""

"""Equality-constrained optimisation: sketched inexact Newton on the KKT system with an exact augmented Lagrangian."""

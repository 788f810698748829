"""Scoring the heuristics against synthetic studies whose truth is known."""

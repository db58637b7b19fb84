"""Reads: the planner (constraints -> plan and cost), the parallel streaming scan, caches, progress."""

"""Shared kernel: money, time, ids and the one error tree. Imports no I/O framework."""

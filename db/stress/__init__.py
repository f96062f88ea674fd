"""The stress test: ``workload`` is the concurrent-write benchmark (the earlier app's
test_concurrent.py, on PostgreSQL and, for comparison, SQLite); ``runner`` makes a run single
flight per database (a lease row) and runs it in a process of its own for the app's button.
"""

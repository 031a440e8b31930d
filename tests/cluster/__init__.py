"""Portico across machines: two gunicorn nodes, two workers, one database and one Redis.

The package is also a small Django app that only the test's workers and seeding
commands load (tests/cluster/settings.py): a management command that seeds
data in bulk, and a many-row job built on portal.jobs that runs the real
access rule in batches.
"""

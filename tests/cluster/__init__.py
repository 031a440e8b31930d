"""Portico across machines: two gunicorn nodes, two workers, one database and one Redis.

The package is also a small Django app that only the test's seeding loads
(tests/cluster/settings.py): a management command that seeds data in bulk.
"""

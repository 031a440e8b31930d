from __future__ import annotations

from django.apps import AppConfig


class ClusterTestsConfig(AppConfig):
    name = "tests.cluster"
    label = "portico_cluster_tests"
    verbose_name = "Portico's cross-node test"

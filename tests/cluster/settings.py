"""Development settings plus this test app, for the cross-node test's seeding command.

The nodes and the workers run portal.settings unchanged.
"""

from __future__ import annotations

from portal.settings import *  # noqa: F403
from portal.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.cluster.apps.ClusterTestsConfig"]

"""Development settings plus this test app, for the cross-node test's workers and seeding.

The nodes themselves run portal.settings unchanged; the workers need the test's
job handler registered, and the seeding needs its management command.
"""

from __future__ import annotations

from portal.settings import *  # noqa: F403
from portal.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.cluster.apps.ClusterTestsConfig"]

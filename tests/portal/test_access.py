"""portal.access: the console's rule, administrators only, and what a refusal says."""

from __future__ import annotations

import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_console_refusal_says_why(client, developer):
    client.force_login(developer)
    response = client.get(reverse("console:home"))
    assert response.status_code == 403
    assert "You don't have access to this page" in response.content.decode()

"""A many-row job for the worker-kill scenario: the access rule for one product, in batches.

It runs the real rule (subscriptions.services.reconcile_access) for the
product's subscribers, a batch of developers at a time; each developer's
subscriptions are suspended, and their one email recorded, in one
transaction. Like every handler it works from the current state of the rows,
so a second run after a killed one only finishes what is left.
"""

from __future__ import annotations

from django.db import transaction

from portal import jobs
from portal.models import Job
from subscriptions.models import Subscription
from subscriptions.services import reconcile_access

KIND = "cluster.access_rule"
BATCH = 4


@jobs.handler(KIND)
def run(job: Job) -> str:
    product_id = job.params["product_id"]
    owners = sorted(
        set(
            Subscription.objects.filter(product_id=product_id, owner__isnull=False).values_list(
                "owner_id", flat=True
            )
        )
    )
    for start in range(0, len(owners), BATCH):
        reconcile_access(owner_ids=owners[start : start + BATCH], product_ids=[product_id])
        with transaction.atomic():
            jobs.progress(job, min(start + BATCH, len(owners)), total=len(owners))
    return f"Applied the access rule for {len(owners)} developers"

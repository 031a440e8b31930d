from __future__ import annotations

from django.db import migrations, models


def backfill(apps, schema_editor):
    # Only sign-up confirms an email, so a confirmed account signed up. An
    # unconfirmed pending account may be either; it keeps the words for an
    # account an administrator made pending, which were everyone's before.
    user_model = apps.get_model("portal", "User")
    user_model.objects.filter(email_confirmed_at__isnull=False).update(signed_up=True)


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0008_approval_notice"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="signed_up",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]

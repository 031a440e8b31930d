"""The portal's front page becomes a page like any other: a published landing page,
visible to everyone, with the words the built-in welcome had, so a portal
looks the same after the upgrade and its administrators can now edit them."""

from django.db import migrations

TITLE = "APIs for building with us"
BODY = """\
Browse the API products open to you, subscribe, and get your keys.

- **Find a product.** Each product bundles APIs. What you see depends on the \
groups your account belongs to.
- **Subscribe.** Some products are open at once; others wait for an \
administrator to approve your request.
- **Call the APIs.** Your subscription keys are on your profile, ready to send \
with every request.
"""


def create_welcome(apps, schema_editor):
    Page = apps.get_model("content", "Page")
    PageVersion = apps.get_model("content", "PageVersion")
    if Page.objects.filter(is_landing=True).exists() or Page.objects.filter(slug="welcome").exists():
        return
    page = Page.objects.create(
        title=TITLE,
        slug="welcome",
        body=BODY,
        visibility="everyone",
        menu="none",
        state="published",
        is_landing=True,
    )
    PageVersion.objects.create(page=page, number=page.version, title=TITLE, body=BODY)


class Migration(migrations.Migration):
    dependencies = [
        ("content", "0002_branding_checks"),
    ]

    operations = [
        migrations.RunPython(create_welcome, migrations.RunPython.noop),
    ]

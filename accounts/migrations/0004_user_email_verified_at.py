"""Whether an account's address was ever verified. Accounts made by a social sign-in were:
the provider vouched for the address (unverified addresses are refused there)."""

from django.db import migrations, models
from django.db.models import F


def social_accounts_are_verified(apps, schema_editor):
    apps.get_model("accounts", "User").objects.exclude(auth_provider="email").update(email_verified_at=F("created_at"))


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0003_audit_log_moves_to_audit"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="email_verified_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(social_accounts_are_verified, migrations.RunPython.noop),
    ]

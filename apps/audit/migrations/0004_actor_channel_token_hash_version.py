"""Events record the actor's channel and API token; the hash covers them from version 2.

Existing events keep hash version 1 (added as the column's value for every existing row,
no UPDATE: the append-only trigger stays untouched), so `audit_verify` checks them with
the fields they were hashed with; new events are written with version 2.
"""

from django.db import migrations, models

CHANNELS = [
    ("portal", "portal"),
    ("api", "API (session)"),
    ("token", "API token"),
    ("cli", "command line"),
    ("task", "background task"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_archive_schedule"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="actor_token_id",
            field=models.BigIntegerField(blank=True, null=True, verbose_name="actor token id"),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="channel",
            field=models.CharField(
                blank=True, choices=CHANNELS, default="", max_length=16, verbose_name="channel"
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="hash_version",
            field=models.PositiveSmallIntegerField(default=1, verbose_name="hash version"),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="hash_version",
            field=models.PositiveSmallIntegerField(default=2, verbose_name="hash version"),
        ),
    ]

# Backfill full_name in primary-key windows: one UPDATE per 2,000 ids, each committed on its
# own (atomic = False), with a reverse function so `migrate users 0002` works too.
from django.db import migrations
from django.db.models import F, Max

BATCH_SIZE = 2000


def copy_display_name(apps, schema_editor):
    Profile = apps.get_model("users", "Profile")
    profiles = Profile.objects.using(schema_editor.connection.alias)
    last_pk = profiles.aggregate(last=Max("pk"))["last"] or 0
    for start in range(0, last_pk + 1, BATCH_SIZE):
        profiles.filter(
            pk__gte=start,
            pk__lt=start + BATCH_SIZE,
            full_name__isnull=True,
        ).update(full_name=F("display_name"))


def clear_full_name(apps, schema_editor):
    Profile = apps.get_model("users", "Profile")
    profiles = Profile.objects.using(schema_editor.connection.alias)
    last_pk = profiles.aggregate(last=Max("pk"))["last"] or 0
    for start in range(0, last_pk + 1, BATCH_SIZE):
        profiles.filter(pk__gte=start, pk__lt=start + BATCH_SIZE).update(full_name=None)


class Migration(migrations.Migration):

    # Every window's UPDATE commits by itself; re-running only touches rows still empty.
    atomic = False

    dependencies = [
        ("users", "0002_profile_full_name"),
    ]

    operations = [
        migrations.RunPython(copy_display_name, reverse_code=clear_full_name),
    ]

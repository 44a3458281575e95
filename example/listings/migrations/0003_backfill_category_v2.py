# Safe step 2 of 4: fill the new column in batches, each committed on its own.
# Data only (no schema change in this file), atomic = False, and restartable: it only picks
# rows that are still empty, so re-running after a failure continues where it stopped.
import time

from django.db import migrations

BATCH_SIZE = 2000


def normalise(category):
    return " ".join(category.split()).lower()


def fill_category_v2(apps, schema_editor):
    Listing = apps.get_model("listings", "Listing")
    listings = Listing.objects.using(schema_editor.connection.alias)
    pending = listings.filter(category_v2__isnull=True).only("pk", "category").order_by("pk")
    batch = []
    for listing in pending.iterator(chunk_size=BATCH_SIZE):
        listing.category_v2 = normalise(listing.category)
        batch.append(listing)
        if len(batch) == BATCH_SIZE:
            listings.bulk_update(batch, ["category_v2"])
            batch = []
            time.sleep(0.05)  # leave the database some room for production traffic
    if batch:
        listings.bulk_update(batch, ["category_v2"])


class Migration(migrations.Migration):

    # Each bulk_update() commits by itself instead of the whole backfill waiting for one commit.
    atomic = False

    dependencies = [
        ("listings", "0002_listing_category_v2"),
    ]

    operations = [
        # Going back to 0002 leaves a nullable column whose values nothing reads yet: nothing to undo.
        migrations.RunPython(fill_category_v2, migrations.RunPython.noop),
    ]

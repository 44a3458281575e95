from django.db import models


class Listing(models.Model):
    title = models.CharField(max_length=200)
    category = models.CharField(max_length=64)
    # Replaces `category` (free text) with a normalised value; added in four steps, 0002-0005.
    category_v2 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["category_v2"], name="listings_category_v2_idx")]

    def __str__(self):
        return self.title

from django.db import models


class Profile(models.Model):
    email = models.EmailField(unique=True)
    # Being replaced by full_name (expand-contract): both exist until every reader has moved.
    display_name = models.CharField(max_length=150)
    full_name = models.CharField(max_length=150, null=True, blank=True)

    def __str__(self):
        return self.full_name or self.display_name

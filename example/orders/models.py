from django.db import models


class Order(models.Model):
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="orders")
    reference = models.CharField(max_length=32, unique=True)
    # Nullable until 0002_backfill_currency: orders placed before multi-currency support had none.
    currency = models.CharField(max_length=3, default="USD")
    total = models.DecimalField(max_digits=12, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.reference

from django.db import models


class Product(models.Model):
    STATUS_CHOICES = [
        ("draft", "Draft"),
        ("active", "Active"),
        ("discontinued", "Discontinued"),
    ]

    name = models.CharField(max_length=200)
    sku = models.CharField(max_length=32)
    status = models.CharField(max_length=16, choices=STATUS_CHOICES, default="draft")
    is_published = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.name


class TaxClass(models.Model):
    code = models.CharField(max_length=16, unique=True)
    name = models.CharField(max_length=64)

    def __str__(self):
        return self.name

from __future__ import annotations

from django.core.management.base import BaseCommand

from bankdemo.banking.demo_data import ADMIN, CUSTOMERS, OPERATOR, seed


class Command(BaseCommand):
    help = "Create the demo users, accounts and history (safe to run again)."

    def handle(self, *args, **options):
        made = seed()
        if made:
            self.stdout.write(f"Seeded accounts for: {', '.join(made)}")
        else:
            self.stdout.write("Demo data already present; nothing to do.")
        for customer in CUSTOMERS:
            self.stdout.write(f"  customer {customer.username} / {customer.password}")
        self.stdout.write(f"  staff    {ADMIN[0]} / {ADMIN[1]} (superuser)")
        self.stdout.write(
            f"  staff    {OPERATOR[0]} / {OPERATOR[1]} (Session operators)"
        )

"""A fresh random key for a public sandbox demo, printed once and stored nowhere.

The key is the deployment's secret: put it in its environment (compose's .env, the orchestrator's
secret store) as CODAT_SANDBOX_API_KEY. It is not kept in the database because settings derive
the sandbox's webhook signing secret and the app's own Codat client from it when they load.
"""

import secrets

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Print a new random CODAT_SANDBOX_API_KEY for a public sandbox demo (CODAT_SANDBOX_DEMO=true)."

    def handle(self, *args, **options):
        key = secrets.token_urlsafe(32)
        self.stdout.write(f"CODAT_SANDBOX_API_KEY={key}")
        self.stderr.write("Shown once: keep it in this deployment's secrets; every process of the deployment needs it.")

"""The authentication backend: Django's ModelBackend, with everything a merchant page reads loaded
with the user in one query (login, membership, merchant, its Codat company and connection snapshot),
and with a shared cache, kept there between requests (login_cache).

Every merchant page used to open with four round trips (user, membership, merchant, snapshot; the
hand-off also the company) before any work; this makes it one, and none while the login's entry is
warm. A login with no merchant (staff, operators) gets NULLs from the outer joins and nothing more.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from .login_cache import cached_login

SELECT_RELATED = ("membership__merchant__connection_snapshot", "membership__merchant__codat_company")


class MerchantPageBackend(ModelBackend):
    def get_user(self, user_id):
        user = cached_login(user_id, lambda: self._load(user_id))
        return user if user is not None and self.user_can_authenticate(user) else None

    @staticmethod
    def _load(user_id):
        try:  # get(), not first(): no ORDER BY to compile on every request
            return get_user_model()._default_manager.select_related(*SELECT_RELATED).get(pk=user_id)
        except get_user_model().DoesNotExist:
            return None

"""The authentication backend: Django's ModelBackend, with everything a merchant page reads loaded
with the user in one query (login, membership, merchant, its Codat company and connection snapshot).

Every merchant page used to open with four round trips (user, membership, merchant, snapshot; the
hand-off also the company) before any work; this makes it one. A login with no merchant (staff,
operators) gets NULLs from the outer joins and nothing more.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

SELECT_RELATED = ("membership__merchant__connection_snapshot", "membership__merchant__codat_company")


class MerchantPageBackend(ModelBackend):
    def get_user(self, user_id):
        try:  # get(), not first(): no ORDER BY to compile on every request
            user = get_user_model()._default_manager.select_related(*SELECT_RELATED).get(pk=user_id)
        except get_user_model().DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from merchants.services import generate_password
from staff.roles import POS_STAFF_GROUP
from staff.services import OPERATORS_GROUP, staff_user_create


class Command(BaseCommand):
    help = (
        f"Create a POS staff login (the “{POS_STAFF_GROUP}” group; works under /staff/), or with --operator an "
        f"operator's admin login (the “{OPERATORS_GROUP}” group; works under /admin/). The login is the email "
        "address; a strong password is generated and printed once."
    )

    def add_arguments(self, parser):
        parser.add_argument("email", help="The person's email address, which is also their login (one login per address).")
        parser.add_argument("--name", required=True, help="The person's full name.")
        parser.add_argument(
            "--operator",
            action="store_true",
            help=f"An operator: admin access with the “{OPERATORS_GROUP}” group's permissions (the group is created or completed).",
        )

    def handle(self, *args, email, name, operator, **options):
        password = generate_password()
        try:
            user = staff_user_create(email=email, name=name, password=password, operator=operator)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        if operator:
            role, where = "operator", "They log in at /admin/ (the Django admin)."
            change = "they can change it at /admin/password_change/"
        else:
            role, where = "POS staff user", "They log in at /accounts/login/ and work under /staff/."
            change = f"`manage.py changepassword {user.username}` sets a new one"
        self.stdout.write(self.style.SUCCESS(f"Created {role} {user.username} ({user.first_name}). {where}"))
        self.stdout.write(f"Password for {user.username} (shown once): {password}")
        self.stdout.write(f"Hand it over privately; {change}.")

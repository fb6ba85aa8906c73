from django.contrib import admin

from commerce_portal.admin import ReadOnlyAdmin

from .models import Membership, Merchant, SignInLink


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Merchant)
class MerchantAdmin(admin.ModelAdmin):
    list_display = ["name", "identifier", "created_at"]
    search_fields = ["name", "identifier"]
    inlines = [MembershipInline]


@admin.register(SignInLink)
class SignInLinkAdmin(ReadOnlyAdmin):
    """For operators: who was given a way in, by whom, and what became of it. Never the token."""

    list_display = ["user", "created_by", "created_at", "expires_at", "used_at", "voided_at"]
    list_select_related = ["user", "created_by"]
    search_fields = ["user__username", "user__email", "user__membership__merchant__name"]
    date_hierarchy = "created_at"
    exclude = ["token_hash"]

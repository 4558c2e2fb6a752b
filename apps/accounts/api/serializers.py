from django.contrib.auth import get_user_model
from rest_framework import serializers

from apps.accounts.models import PersonalAccessToken
from apps.accounts.roles import user_roles
from apps.core.api.serializers import InputSerializer


class MeSerializer(serializers.ModelSerializer):
    roles = serializers.SerializerMethodField()

    class Meta:
        model = get_user_model()
        fields = ["id", "username", "first_name", "last_name", "email", "roles"]

    def get_roles(self, user) -> list[str]:
        return sorted(user_roles(user))


class TokenOutputSerializer(serializers.ModelSerializer):
    state = serializers.CharField(read_only=True)

    class Meta:
        model = PersonalAccessToken
        fields = [
            "id",
            "name",
            "prefix",
            "created_at",
            "expires_at",
            "last_used_at",
            "revoked_at",
            "state",
        ]


class TokenCreateSerializer(InputSerializer):
    name = serializers.CharField(max_length=100)
    expires_days = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=365,
        help_text="Lifetime in days. Empty or null: never expires where "
        "K2_TOKEN_ALLOW_NON_EXPIRING is on, else K2_TOKEN_DEFAULT_EXPIRY_DAYS (90).",
    )  # fmt: skip


class TokenCreatedSerializer(TokenOutputSerializer):
    token = serializers.CharField(
        read_only=True, help_text="The secret. Shown only in this response."
    )

    class Meta(TokenOutputSerializer.Meta):
        fields = [*TokenOutputSerializer.Meta.fields, "token"]

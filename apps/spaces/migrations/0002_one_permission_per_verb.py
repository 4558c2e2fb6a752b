"""One permission per verb: renew, retry and update no longer borrow request_quota and
manage_members. Existing admins and owners get the new object permissions on their
spaces (the roles' rights do not change)."""

from django.db import migrations

NEW = {
    "update_space": "Change the space's name and description",
    "renew_space": "Renew the space",
    "retry_space": "Retry the space's provisioning",
}
RENAMED = {"request_quota": "Request quota for the space"}
HOLDERS = ("admin", "owner")


def grant_new_permissions(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Membership = apps.get_model("spaces", "Membership")
    SpaceUserObjectPermission = apps.get_model("spaces", "SpaceUserObjectPermission")
    space_type, _created = ContentType.objects.get_or_create(app_label="spaces", model="space")
    # post_migrate creates missing permissions only after every migration ran: make them now.
    permissions = [
        Permission.objects.update_or_create(
            content_type=space_type, codename=codename, defaults={"name": name}
        )[0]
        for codename, name in NEW.items()
    ]
    for codename, name in RENAMED.items():
        Permission.objects.filter(content_type=space_type, codename=codename).update(name=name)
    rows = [
        SpaceUserObjectPermission(
            content_object_id=m.space_id, user_id=m.user_id, permission_id=p.pk
        )
        for m in Membership.objects.filter(role__in=HOLDERS).only("space_id", "user_id")
        for p in permissions
    ]
    SpaceUserObjectPermission.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)


def revoke_new_permissions(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    SpaceUserObjectPermission = apps.get_model("spaces", "SpaceUserObjectPermission")
    new = Permission.objects.filter(content_type__app_label="spaces", codename__in=list(NEW))
    SpaceUserObjectPermission.objects.filter(permission__in=new).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("spaces", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="space",
            options={
                "default_permissions": (),
                "ordering": ["slug", "id"],
                "permissions": [
                    ("view_space", "View the space"),
                    ("deploy_apps", "Deploy apps in the space"),
                    ("open_terminal", "Open a terminal in the space's containers"),
                    ("manage_members", "Manage the space's members"),
                    ("update_space", "Change the space's name and description"),
                    ("request_quota", "Request quota for the space"),
                    ("renew_space", "Renew the space"),
                    ("retry_space", "Retry the space's provisioning"),
                    ("delete_space", "Delete the space"),
                    ("transfer_space", "Transfer the space to another owner"),
                ],
            },
        ),
        migrations.RunPython(grant_new_permissions, revoke_new_permissions),
    ]

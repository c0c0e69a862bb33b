"""Newsroom roles: Reporters write and submit; Editors approve and publish.

Wagtail's initial data creates "Editors" (may edit, not publish) and "Moderators" (may
publish). They are renamed to the newsroom's words, given exactly the page permissions of each
role, and the default approval workflow becomes "Editor approval".
"""

from __future__ import annotations

from django.db import migrations

REPORTER_PAGE_PERMISSIONS = ["add_page", "change_page"]
EDITOR_PAGE_PERMISSIONS = [
    "add_page", "change_page", "publish_page", "bulk_delete_page", "lock_page", "unlock_page",
]  # fmt: skip


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    Page = apps.get_model("wagtailcore", "Page")
    GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")
    Workflow = apps.get_model("wagtailcore", "Workflow")
    Task = apps.get_model("wagtailcore", "Task")
    GroupApprovalTask = apps.get_model("wagtailcore", "GroupApprovalTask")
    WorkflowPage = apps.get_model("wagtailcore", "WorkflowPage")
    WorkflowTask = apps.get_model("wagtailcore", "WorkflowTask")

    if not Group.objects.filter(name="Reporters").exists():
        Group.objects.filter(name="Editors").update(name="Reporters")
    if not Group.objects.filter(name="Editors").exists():
        Group.objects.filter(name="Moderators").update(name="Editors")
    reporters, _ = Group.objects.get_or_create(name="Reporters")
    editors, _ = Group.objects.get_or_create(name="Editors")

    page_type, _ = ContentType.objects.get_or_create(app_label="wagtailcore", model="page")
    admin_type, _ = ContentType.objects.get_or_create(app_label="wagtailadmin", model="admin")
    access_admin, _ = Permission.objects.get_or_create(
        content_type=admin_type, codename="access_admin", defaults={"name": "Can access Wagtail admin"}
    )
    root = Page.objects.filter(depth=1).first()
    for group, codenames in ((reporters, REPORTER_PAGE_PERMISSIONS), (editors, EDITOR_PAGE_PERMISSIONS)):
        group.permissions.add(access_admin)
        if root is None:
            continue
        GroupPagePermission.objects.filter(group=group, page=root).exclude(
            permission__codename__in=codenames
        ).delete()
        for codename in codenames:
            permission, _ = Permission.objects.get_or_create(
                content_type=page_type, codename=codename, defaults={"name": codename}
            )
            GroupPagePermission.objects.get_or_create(group=group, page=root, permission=permission)

    if root is None:
        return
    task_type, _ = ContentType.objects.get_or_create(app_label="wagtailcore", model="groupapprovaltask")
    task = GroupApprovalTask.objects.filter(groups=editors).first()
    if task is None:
        task = GroupApprovalTask.objects.create(
            name="Editor approval", content_type=task_type, active=True
        )
        task.groups.set([editors])
    else:
        Task.objects.filter(pk=task.pk).update(name="Editor approval")
    workflow = Workflow.objects.filter(workflow_tasks__task=task).first()
    if workflow is None:
        workflow = Workflow.objects.create(name="Editor approval", active=True)
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    else:
        Workflow.objects.filter(pk=workflow.pk).update(name="Editor approval", active=True)
    WorkflowPage.objects.update_or_create(page=root, defaults={"workflow": workflow})


class Migration(migrations.Migration):
    dependencies = [
        ("publishing", "0001_initial"),
        ("wagtailcore", "0098_apitoken"),
        ("wagtailadmin", "0006_formstate"),
        ("wagtailimages", "0027_image_description"),
        ("wagtaildocs", "0014_alter_document_file_size"),
    ]

    operations = [
        migrations.RunPython(create_roles, migrations.RunPython.noop),
        # Articles are found by their URL path in one query (see publishing.views.serve).
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS samizdat_page_url_path ON wagtailcore_page (url_path)",
            "DROP INDEX IF EXISTS samizdat_page_url_path",
        ),
    ]

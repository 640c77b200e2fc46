"""The person who signs in (`accounts.User`), alone: every app's models point at it
(`settings.AUTH_USER_MODEL`), so it comes before them all. The rest of `accounts` needs
ISCMs and regions and follows in 0002."""

import django.db.models.functions.text
import django.utils.timezone
from django.db import migrations, models

import accounts.models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.CreateModel(
            name="User",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("password", models.CharField(max_length=128, verbose_name="password")),
                (
                    "last_login",
                    models.DateTimeField(blank=True, null=True, verbose_name="last login"),
                ),
                (
                    "is_superuser",
                    models.BooleanField(
                        default=False,
                        help_text="Designates that this user has all permissions without explicitly assigning them.",
                        verbose_name="superuser status",
                    ),
                ),
                (
                    "email",
                    models.EmailField(max_length=254, unique=True, verbose_name="e-mail address"),
                ),
                (
                    "full_name",
                    models.CharField(blank=True, max_length=150, verbose_name="full name"),
                ),
                ("is_active", models.BooleanField(default=True, verbose_name="active")),
                (
                    "is_staff",
                    models.BooleanField(
                        default=False,
                        help_text="May sign in to the Django admin.",
                        verbose_name="administrator",
                    ),
                ),
                (
                    "date_joined",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="date joined"
                    ),
                ),
                (
                    "language",
                    models.CharField(
                        blank=True,
                        choices=[("en", "English"), ("fr", "French"), ("es", "Spanish")],
                        help_text="The language of the portal's pages and of the e-mails you receive. Empty: your browser's choice for pages, English for e-mails.",
                        max_length=10,
                        verbose_name="interface language",
                    ),
                ),
                (
                    "notify_colleague_actions",
                    models.BooleanField(
                        default=True,
                        verbose_name="when a colleague submits or withdraws an input of my ISCMs",
                    ),
                ),
                (
                    "notify_deadline_reminders",
                    models.BooleanField(
                        default=True,
                        verbose_name="reminders before the deadline of a regional review",
                    ),
                ),
                (
                    "notify_new_inputs",
                    models.BooleanField(
                        default=True,
                        verbose_name="when an input reaches my regions for review, or is withdrawn from it",
                    ),
                ),
                (
                    "groups",
                    models.ManyToManyField(
                        blank=True,
                        help_text="The groups this user belongs to. A user will get all permissions granted to each of their groups.",
                        related_name="user_set",
                        related_query_name="user",
                        to="auth.group",
                        verbose_name="groups",
                    ),
                ),
                (
                    "user_permissions",
                    models.ManyToManyField(
                        blank=True,
                        help_text="Specific permissions for this user.",
                        related_name="user_set",
                        related_query_name="user",
                        to="auth.permission",
                        verbose_name="user permissions",
                    ),
                ),
            ],
            options={
                "verbose_name": "user",
                "verbose_name_plural": "users",
                "ordering": ["email"],
            },
            managers=[
                ("objects", accounts.models.UserManager()),
            ],
        ),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("email"), name="user_email_unique_ci"
            ),
        ),
    ]

"""Empty django_session: sessions_core's engines keep only digests of session keys.

Rows that Django's database engine left there hold the keys themselves, bearer
tokens that a dump of the database would give away; nothing reads them any more.
"""

from django.db import migrations


def forget_django_sessions(apps, schema_editor):
    connection = schema_editor.connection
    if "django_session" in connection.introspection.table_names():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM django_session")


class Migration(migrations.Migration):
    dependencies = [("sessions_core", "0003_final_ends_by_digest")]

    operations = [
        migrations.RunPython(forget_django_sessions, migrations.RunPython.noop),
    ]

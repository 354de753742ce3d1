from django.db import migrations


def create_first_version(apps, schema_editor):
    KeyVersion = apps.get_model("sessions_core", "KeyVersion")
    KeyVersion.objects.get_or_create(version=1)


class Migration(migrations.Migration):
    dependencies = [("sessions_core", "0001_initial")]

    operations = [migrations.RunPython(create_first_version, migrations.RunPython.noop)]

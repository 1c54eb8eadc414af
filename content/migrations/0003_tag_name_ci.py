import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('content', '0002_speech_text_fts_index'),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='tag',
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower('name'), name='uniq_tag_name_ci',
                violation_error_message='A tag with this name already exists (names are compared ignoring case).'),
        ),
    ]

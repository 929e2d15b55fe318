# The record number is unique in its practice again, now by its blind index
# (filled by 0005). A migration of its own, so on PostgreSQL the constraint is
# not added in the transaction that rewrote every client row.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('clients', '0005_encrypt_names_and_record_numbers'),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='client',
            constraint=models.UniqueConstraint(fields=('practice', 'external_id_index'), name='client_record_number'),
        ),
    ]

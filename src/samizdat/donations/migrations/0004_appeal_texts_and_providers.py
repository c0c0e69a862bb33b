"""The appeal's words move to one row per language (AppealText), languages lose their fixed
choices, minimums take three decimals (BHD, KWD), and payment links name their provider."""

import django.db.models.deletion
import modelcluster.fields
import samizdat.donations.models
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('donations', '0003_paymentlink'),
    ]

    operations = [
        migrations.CreateModel(
            name='AppealText',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('sort_order', models.IntegerField(blank=True, editable=False, null=True)),
                ('language', models.CharField(max_length=8, verbose_name='language')),
                ('banner', models.CharField(blank=True, max_length=300, verbose_name='banner')),
                ('appeal_title', models.CharField(blank=True, max_length=200, verbose_name='appeal title')),
                ('appeal', models.TextField(blank=True, verbose_name='appeal after articles')),
                ('newsletter_appeal', models.TextField(blank=True, verbose_name='appeal in the newsletter')),
                ('thanks', models.TextField(blank=True, verbose_name='thank-you message')),
                ('setting', modelcluster.fields.ParentalKey(on_delete=django.db.models.deletion.CASCADE, related_name='texts', to='donations.donationsettings')),
            ],
            options={
                'verbose_name': 'appeal in one language',
                'ordering': ['sort_order'],
                'abstract': False,
                'constraints': [models.UniqueConstraint(fields=('setting', 'language'), name='appeal_text_language')],
            },
        ),
        migrations.AlterField(
            model_name='donation',
            name='language',
            field=models.CharField(default=samizdat.donations.models.default_language, max_length=8, verbose_name='language'),
        ),
        migrations.AlterField(
            model_name='recurringgift',
            name='language',
            field=models.CharField(default=samizdat.donations.models.default_language, max_length=8, verbose_name='language'),
        ),
        migrations.AlterField(
            model_name='paymentlink',
            name='language',
            field=models.CharField(default=samizdat.donations.models.default_language, max_length=8, verbose_name='language'),
        ),
        migrations.AlterField(
            model_name='appealcurrency',
            name='minimum',
            field=models.DecimalField(decimal_places=3, default=2, max_digits=12, verbose_name='minimum gift'),
        ),
        migrations.RemoveConstraint(
            model_name='paymentlink',
            name='payment_link_unique_amount',
        ),
        migrations.AddField(
            model_name='paymentlink',
            name='provider',
            field=models.CharField(default='stripe', max_length=20, verbose_name='provider'),
            preserve_default=False,
        ),
        migrations.RenameField(
            model_name='paymentlink',
            old_name='stripe_id',
            new_name='link_id',
        ),
        migrations.AlterField(
            model_name='paymentlink',
            name='link_id',
            field=models.CharField(max_length=255, verbose_name="provider's id of the link"),
        ),
        migrations.RenameField(
            model_name='paymentlink',
            old_name='stripe_price_id',
            new_name='price_id',
        ),
        migrations.AddConstraint(
            model_name='paymentlink',
            constraint=models.UniqueConstraint(fields=('provider', 'currency', 'frequency', 'amount'), name='payment_link_unique_amount'),
        ),
        migrations.AddConstraint(
            model_name='paymentlink',
            constraint=models.UniqueConstraint(fields=('provider', 'link_id'), name='payment_link_unique_id'),
        ),
    ]

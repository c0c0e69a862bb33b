"""Model fields that keep personal data encrypted in the database (``core/crypto.py``).

An encrypted field stores ciphertext and hands back plaintext: code reads and assigns
``subscriber.email`` as before. What the database cannot do with ciphertext is compare it, so
a field that is looked up names a sibling ``LookupHashField`` (the keyed digest of the
normalised value, where unique constraints and indexes live) and these look-ups compare that
column instead::

    email = EncryptedEmailField(_("email"), hash_field="email_hash")
    email_hash = LookupHashField(source="email", unique=True)

    Subscriber.objects.filter(email=address)          # email_hash = digest(address)
    Subscriber.objects.filter(email__iexact=address)  # the same: addresses compare normalised
    Subscriber.objects.filter(email__in=addresses)    # email_hash IN (digests)
    Donation.objects.exclude(email="")                # "" has the digest ""

Any other look-up (``icontains``, ``startswith``, ``gt``…) raises a FieldError saying so, and
ordering by an encrypted column orders by ciphertext: meaningless, so admin listings do not
offer it (``EncryptedSearchMixin``). The digest is computed when the row is saved (also by
``bulk_create``); ``QuerySet.update(email=…)`` and ``save(update_fields=["email"])`` without
the digest's field would leave it stale, so the code never does either.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cached_property
from typing import Any

from django.core.exceptions import FieldError
from django.db import connection, models, transaction
from django.db.models.expressions import Col
from django.db.models.lookups import Exact, In, IsNull, Lookup

from samizdat.core import crypto

COMPARABLE = {"exact", "iexact", "in"}


class _ThroughDigest(Lookup):
    """Compiles to the same look-up on the sibling digest column, with digested values."""

    prepare_rhs = False
    target: type[Lookup]

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        field = self.lhs.output_field
        if not field.hash_field:
            raise FieldError(field.refusal(self.lookup_name))
        if not isinstance(self.lhs, Col) or hasattr(self.rhs, "resolve_expression"):
            raise FieldError(
                f"{field.model.__name__}.{field.name} is encrypted: it can only be compared "
                "with plain values, not with other columns or expressions; compare "
                f"{field.hash_field} instead."
            )
        hash_field = field.model._meta.get_field(field.hash_field)
        lhs = Col(self.lhs.alias, hash_field)
        if self.lookup_name == "in":
            rhs: Any = [crypto.digest(str(value), field.normalise) for value in self.rhs]
        else:
            rhs = crypto.digest(str(self.rhs), field.normalise)
        return compiler.compile(self.target(lhs, rhs))


class DigestExact(_ThroughDigest):
    lookup_name = "exact"
    target = Exact


class DigestIExact(_ThroughDigest):
    lookup_name = "iexact"
    target = Exact


class DigestIn(_ThroughDigest):
    lookup_name = "in"
    target = In


DIGEST_LOOKUPS: dict[str, type[Lookup]] = {
    "exact": DigestExact,
    "iexact": DigestIExact,
    "in": DigestIn,
}


class EncryptedMixin:
    """Encrypts on the way to the database, decrypts on the way back (see the module)."""

    name: str
    model: type[models.Model]

    def __init__(self, *args: Any, hash_field: str = "", normalise: bool = True, **kwargs: Any):
        self.hash_field = hash_field
        self.normalise = normalise
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()  # type: ignore[misc]
        if self.hash_field:
            kwargs["hash_field"] = self.hash_field
        if not self.normalise:
            kwargs["normalise"] = False
        return name, path, args, kwargs

    def get_internal_type(self) -> str:
        return "TextField"  # ciphertext is longer than the value, and never compared

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "isnull":
            return IsNull
        if lookup_name in COMPARABLE:
            # Also without a digest column: Django asks for "exact" before it turns
            # ``filter(field=None)`` into "isnull"; a real comparison fails in ``as_sql``.
            return DIGEST_LOOKUPS[lookup_name]
        raise FieldError(self.refusal(lookup_name))

    def refusal(self, lookup_name: str) -> str:
        how = (
            f"only exact comparisons (exact, iexact, in), through {self.hash_field}"
            if self.hash_field
            else "no comparison at all (it has no digest column)"
        )
        return (
            f"{self.model.__name__}.{self.name} is encrypted in the database: "
            f"“{lookup_name}” cannot work on it; it allows {how}."
        )

    def get_transform(self, lookup_name: str) -> Any:
        return None

    def encode(self, value: Any) -> str:
        return str(value)

    def decode(self, text: str) -> Any:
        return text

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)  # type: ignore[misc]
        if value is None:
            return None
        text = self.encode(value)
        return crypto.encrypt(text) if text != "" else ""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None:
            return None
        return self.decode(crypto.decrypt(value)) if value != "" else self.decode("")


class EncryptedEmailField(EncryptedMixin, models.EmailField):
    """An address, encrypted; forms and validation as ``EmailField``'s (on the plaintext)."""


class EncryptedCharField(EncryptedMixin, models.CharField):
    """A short text (a name), encrypted; ``max_length`` limits the plaintext."""


class EncryptedTextField(EncryptedMixin, models.TextField):
    """A long text, encrypted."""


class EncryptedJSONField(EncryptedMixin, models.TextField):
    """A JSON value, kept as encrypted JSON text (no JSON queries: it is opaque)."""

    # What django-stubs lets code assign and read: any JSON value.
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return None
        return crypto.encrypt(self.encode(value))

    def encode(self, value: Any) -> str:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)

    def decode(self, text: str) -> Any:
        return json.loads(text) if text else None

    def to_python(self, value: Any) -> Any:
        return value

    def value_to_string(self, obj: models.Model) -> str:
        return self.encode(self.value_from_object(obj))


class LookupHashField(models.CharField):
    """The keyed digest of the normalised value of field ``source``, set on every save."""

    def __init__(self, *args: Any, source: str = "", **kwargs: Any):
        self.source = source
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        for key, default in (("max_length", 64), ("editable", False), ("blank", True)):
            if kwargs.get(key, default) == default:
                kwargs.pop(key, None)
        return name, path, args, kwargs

    @cached_property
    def source_field(self) -> models.Field[Any, Any]:
        field = self.model._meta.get_field(self.source)
        assert isinstance(field, models.Field)
        return field

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = getattr(model_instance, self.source_field.attname)
        normalise = getattr(self.source_field, "normalise", True)
        result = None if value is None and self.null else crypto.digest(value or "", normalise)
        setattr(model_instance, self.attname, result)
        return result


def encrypted_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [
        field
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedMixin) and field.model is model
    ]


class EncryptedSearchMixin:
    """For a Wagtail admin index view: search encrypted fields by the whole address (through
    its digest) and the others as usual; never offer to sort by ciphertext."""

    search_fields: Iterable[str] | None
    model: type[models.Model]

    def search_queryset(self, queryset: Any) -> Any:
        if not getattr(self, "is_searching", False):
            return queryset
        query = models.Q()
        text = str(getattr(self, "search_query", "")).strip()
        for name in self.search_fields or []:
            field = queryset.model._meta.get_field(name)
            if isinstance(field, EncryptedMixin):
                if field.hash_field:
                    query |= models.Q(**{f"{name}__iexact": text})
            else:
                query |= models.Q(**{f"{name}__icontains": text})
        return queryset.filter(query)

    @cached_property
    def columns(self) -> list[Any]:
        columns = list(super().columns)  # type: ignore[misc]
        encrypted = {field.name for field in encrypted_fields(self.model)}
        for column in columns:
            if getattr(column, "sort_key", None) in encrypted:
                column.sort_key = None
        return columns


def rotate_column(
    model: type[models.Model], field: models.Field[Any, Any], *, batch_size: int, rehash: bool
) -> dict[str, int]:
    """Bring one encrypted column (and its digest column) to the current keys."""
    assert isinstance(field, EncryptedMixin)
    ring = crypto.keyring()
    quote = connection.ops.quote_name
    table, pk, column = (
        quote(model._meta.db_table),
        quote(str(model._meta.pk.column)),
        quote(str(field.column)),
    )
    hash_column = (
        quote(str(model._meta.get_field(field.hash_field).column))  # type: ignore[union-attr]
        if field.hash_field
        else ""
    )
    counts = {"rewritten": 0, "plaintext": 0, "rehashed": 0, "current": 0, "changed meanwhile": 0}
    last: Any = None
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            where = f"WHERE {pk} > %s " if last is not None else ""
            select = f", {hash_column}" if hash_column else ""
            cursor.execute(
                f"SELECT {pk}, {column}{select} FROM {table} {where}"  # noqa: S608
                f"ORDER BY {pk} LIMIT %s",
                [*([last] if last is not None else []), batch_size],
            )
            rows = cursor.fetchall()
            for row in rows:
                last, stored = row[0], row[1]
                old_digest = row[2] if hash_column else None
                if stored is None or stored == "":
                    counts["current"] += 1
                    continue
                plaintext = ring.decrypt(stored)
                legacy = not stored.startswith(crypto.PREFIX)
                changes: dict[str, Any] = {}
                if not ring.is_current(stored):
                    changes[column] = ring.encrypt(plaintext)
                if hash_column and (legacy or rehash):
                    new_digest = crypto.digest(plaintext, field.normalise)
                    if new_digest != old_digest:
                        changes[hash_column] = new_digest
                if not changes:
                    counts["current"] += 1
                    continue
                assignments = ", ".join(f"{name} = %s" for name in changes)
                cursor.execute(
                    f"UPDATE {table} SET {assignments} "  # noqa: S608
                    f"WHERE {pk} = %s AND {column} = %s",
                    [*changes.values(), last, stored],
                )
                if not cursor.rowcount:
                    counts["changed meanwhile"] += 1  # saved by the app: current already
                elif legacy:
                    counts["plaintext"] += 1
                elif column in changes:
                    counts["rewritten"] += 1
                else:
                    counts["rehashed"] += 1
        if len(rows) < batch_size:
            return counts

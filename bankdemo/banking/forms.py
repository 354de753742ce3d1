from __future__ import annotations

import re
import uuid
from decimal import Decimal

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .selectors import accounts_of

OWN_ACCOUNT = gettext_lazy("Choose one of your own accounts.")
OUT_OF_DATE = gettext_lazy(
    "This form is out of date. Please check it and send it again."
)
PENCE = gettext_lazy("Use at most two decimal places (pence).")


# Pounds as people type them: "25", "25.5", "1,500.00", "£1500". ASCII digits
# only: Decimal would also take "1e3" (£1,000) or other scripts' digits. A minus
# sign or a third decimal pass here, for the field's own plainer messages.
AMOUNT = re.compile(
    r"£?\s*(?P<pounds>-?(?:\d{1,3}(?:,\d{3})+|\d+))(?P<pence>\.\d+)?", re.ASCII
)


class AmountField(forms.DecimalField):
    def to_python(self, value):
        if isinstance(value, str) and value.strip():
            match = AMOUNT.fullmatch(value.strip())
            if match is None:
                raise forms.ValidationError(
                    self.error_messages["invalid"], code="invalid"
                )
            value = match["pounds"].replace(",", "") + (match["pence"] or "")
        return super().to_python(value)

    def run_validators(self, value):
        # A fraction of a penny ("0.001", "-5.001", "0.0000000000001") may break
        # other rules too, and "greater than zero" or "too large" beside it would
        # mislead: the pence are what to fix, so say only that.
        exponent = value.as_tuple().exponent if isinstance(value, Decimal) else 0
        if isinstance(exponent, int) and exponent < -2:  # not NaN or Infinity
            raise forms.ValidationError(
                self.error_messages["max_decimal_places"], code="max_decimal_places"
            )
        super().run_validators(value)


class TransferForm(forms.Form):
    source = forms.ModelChoiceField(
        queryset=None,
        label=gettext_lazy("From"),
        empty_label=None,
        error_messages={"invalid_choice": OWN_ACCOUNT},
    )
    target = forms.ModelChoiceField(
        queryset=None,
        label=gettext_lazy("To"),
        empty_label=None,
        error_messages={"invalid_choice": OWN_ACCOUNT},
    )
    amount = AmountField(
        label=gettext_lazy("Amount (£)"),
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
        error_messages={
            "required": gettext_lazy("Enter an amount."),
            "invalid": gettext_lazy("Enter an amount in pounds, like 25 or 25.50."),
            "min_value": gettext_lazy("Enter an amount greater than zero."),
            "max_decimal_places": PENCE,
            "max_digits": gettext_lazy("That amount is too large."),
            "max_whole_digits": gettext_lazy("That amount is too large."),
        },
        # No autocomplete="off": it stops the browser restoring the amount on Back.
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    reference = forms.CharField(
        label=gettext_lazy("Reference (optional)"), max_length=60, required=False
    )
    transfer_id = forms.UUIDField(
        widget=forms.HiddenInput,
        initial=uuid.uuid4,
        error_messages={
            "required": OUT_OF_DATE,
            "invalid": OUT_OF_DATE,
        },
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        accounts = accounts_of(user)
        self.fields["source"].queryset = accounts
        self.fields["target"].queryset = accounts
        if not self.is_bound and len(accounts) > 1:
            # From one account to another by default, not to the same one.
            self.initial.setdefault("target", accounts[1].pk)

    def binding(self) -> dict[str, str]:
        """What a confirmation of this transfer is tied to: amount, both accounts,
        and the transfer's id and reference (strings, for the session)."""
        data = self.cleaned_data
        return {
            "source": str(data["source"].pk),
            "target": str(data["target"].pk),
            "amount": f"{data['amount']:.2f}",
            "reference": data["reference"],
            "transfer_id": str(data["transfer_id"]),
        }

    def summary(self) -> str:
        data = self.cleaned_data
        return _("a transfer of £%(amount)s from %(source)s to %(target)s") % {
            "amount": f"{data['amount']:,.2f}",
            "source": data["source"].name,
            "target": data["target"].name,
        }

    def renew_transfer_id(self) -> None:
        """Give the form a new transfer id, keeping everything else as it was sent."""
        self.data = self.data.copy()
        self.data[self.add_prefix("transfer_id")] = str(uuid.uuid4())

    def clean(self):
        cleaned = super().clean()
        source, target = cleaned.get("source"), cleaned.get("target")
        amount = cleaned.get("amount")
        if source and target and source.pk == target.pk:
            self.add_error("target", _("Choose a different account to move money to."))
        elif source and amount and source.balance < amount:
            self.add_error(
                "amount",
                _("Not enough money in %(account)s: the balance is £%(balance)s.")
                % {"account": source.name, "balance": f"{source.balance:,.2f}"},
            )
        return cleaned

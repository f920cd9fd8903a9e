"""``{% load labels %}``: the filters that show codes as words (:mod:`yanpiao.web.labels`).

``{{ result.outcome|outcome }}``, ``{{ "issue_date"|field_label }}``, ``{{ inv.type|invoice_type }}``,
``{{ inv.status|status }}``, ``{{ item.tax_rate|tax_rate }}``, ``{{ v.channel|channel }}``,
``{{ f.severity|severity }}``, ``{{ result.outcome|outcome_explanation }}``, ``{{ result.outcome|tone }}``,
``{{ f.rule|finding:f.field }}``, ``{{ d.registered|field_value:d.field }}``,
``{{ result.signature|signature }}``, ``{{ result.checked_at|moment }}``.
"""

from django import template

from yanpiao.web import labels

register = template.Library()

for _name, _function in {
    "outcome": labels.outcome,
    "outcome_explanation": labels.outcome_explanation,
    "tone": labels.tone,
    "field_label": labels.field,
    "invoice_type": labels.invoice_type,
    "status": labels.status,
    "channel": labels.channel,
    "severity": labels.severity,
    "role": labels.role,
    "tax_rate": labels.tax_rate,
    "finding": labels.finding,
    "field_value": labels.field_value,
    "signature": labels.signature,
    "moment": labels.moment,
}.items():
    register.filter(_name, _function)

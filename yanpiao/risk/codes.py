"""The risk reasons' codes, declared once: the rules' names, and ``model`` for the learned model.

An alert's kind is one of these codes too (:mod:`yanpiao.alerts`).
"""

DUPLICATE_REIMBURSEMENT = "duplicate_reimbursement"  # one invoice presented by two organisations
INVALID_STATUS_PRESENTED = "invalid_status_presented"  # a voided, red-flushed or abnormal invoice
FORGERY_PROBING = "forgery_probing"  # repeated mismatches on one invoice key
ENUMERATION = "enumeration"  # many not_found from one account or address
AMOUNT_OUTLIER = "amount_outlier"  # far outside the seller's history
ISSUANCE_BURST = "issuance_burst"  # a seller issuing far above its own rate
NEAR_LIMIT_AMOUNTS = "near_limit_amounts"  # amounts clustered just under an issuance limit
SELLER_ABNORMAL = "seller_abnormal"  # the seller has invoices flagged abnormal
FORGED_CERTIFICATE = "forged_certificate"  # a certificate check failed
REPORTED_BY_USER = "reported_by_user"  # reported as suspicious from a result page
MODEL = "model"  # the learned model finds the invoice unusual

RULES = (
    DUPLICATE_REIMBURSEMENT,
    INVALID_STATUS_PRESENTED,
    FORGERY_PROBING,
    ENUMERATION,
    AMOUNT_OUTLIER,
    ISSUANCE_BURST,
    NEAR_LIMIT_AMOUNTS,
    SELLER_ABNORMAL,
    FORGED_CERTIFICATE,
    REPORTED_BY_USER,
)
CODES = (*RULES, MODEL)

LOW, MEDIUM, HIGH = "low", "medium", "high"
LEVELS = (LOW, MEDIUM, HIGH)


def level(score: int) -> str:
    """The level of a score of 0–100.

    >>> [level(s) for s in (0, 39, 40, 69, 70, 100)]
    ['low', 'low', 'medium', 'medium', 'high', 'high']
    """
    return HIGH if score >= 70 else MEDIUM if score >= 40 else LOW

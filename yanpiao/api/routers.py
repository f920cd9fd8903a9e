"""The API's routers, one per resource; endpoints from several modules may join one router
(``/verifications`` holds verification, history and certificate endpoints)."""

from ninja import Router

verifications = Router(tags=["verifications 查验"])
certificates = Router(tags=["certificates 凭证"])
invoices = Router(tags=["invoices 开票 (issuers)"])
auth = Router(tags=["auth 账户"])
tokens = Router(tags=["tokens 令牌"])
health = Router(tags=["health 状态"])
batches = Router(tags=["batches 批量"])
alerts = Router(tags=["alerts 风险预警 (auditors)"])
surveys = Router(tags=["surveys 问卷"])
ratings = Router(tags=["ratings 评价"])
suggestions = Router(tags=["suggestions 建议箱"])
tickets = Router(tags=["tickets 工单"])

# Where each router is mounted under /api/v1.
MOUNTS = {
    "/tickets": tickets,
    "/suggestions": suggestions,
    "/verifications": verifications,
    "/certificates": certificates,
    "/invoices": invoices,
    "/auth": auth,
    "/tokens": tokens,
    "/batches": batches,
    "/alerts": alerts,
    "/surveys": surveys,
    "/ratings": ratings,
    "": health,
}

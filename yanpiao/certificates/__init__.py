"""Verification certificates (验证凭证): a signed one-page PDF of one verification, checked offline
with the public certificate alone (:mod:`.signing`, :mod:`.pdf`, :mod:`.services`)."""

"""The verification history as its readers see it: filters, cursor paging and exports.

Above the access policy (every row comes through ``access.visibility`` and is shown as
``access.disclosure`` decides), below the channels (the API and the ``history`` command).
"""

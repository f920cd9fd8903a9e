"""Who may see what, and what is shown in full or masked: the one place that decides.

* :mod:`.visibility` — fetching a user-facing object (verification, registered invoice,
  organisation, API token) for a viewer; anything the viewer may not see raises
  :class:`~yanpiao.access.visibility.NotVisible`, which the web and API adapters answer with
  404, so "not yours" and "does not exist" look the same.
* :mod:`.disclosure` — what a viewer sees of an object they may see: which fields in full and
  which masked, when a registered invoice may be revealed, and the audited reveal of personal
  data by auditors and admins; also a user's own data (download).
* :mod:`.masking` — the one masking function, by kind of value.  It has no dependencies, so
  that the services below this layer (the verification history masks what it keeps at rest)
  use the same masks.

Views, API endpoints and commands ask these modules; they never decide visibility or
masking themselves.  This package's ``__init__`` imports nothing, so importing
:mod:`.masking` does not pull in the policy above the services.
"""

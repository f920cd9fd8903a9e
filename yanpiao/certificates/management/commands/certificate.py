"""``yanpiao certificate verify|public-key|issue|rotate``: signed verification certificates.

- ``verify FILE`` checks a certificate PDF: exit 0 genuine, 1 forged, altered or of a
  verification that does not exist here, 2 not a certificate or an unreadable file.  With
  ``--public-key PEM`` it trusts only the certificates of that file and looks nothing up, so
  anyone can check with what ``public-key`` printed and no keys at all; ``--offline`` checks the
  signature alone with this installation's keys.
- ``public-key`` prints the PEM of every trusted signing certificate, oldest first.
- ``issue VERIFICATION_ID -o FILE`` writes the certificate of any verification (the operator).
- ``rotate`` adds a signing key: it signs from now on; the earlier keys stay trusted.  It is a
  subcommand here rather than ``yanpiao keys rotate --keyset certificate``, because the security
  layer, below the certificates, cannot know them.
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from yanpiao.certificates import services, signing

EXIT_GENUINE, EXIT_NOT_GENUINE, EXIT_NOT_CERTIFICATE = 0, 1, 2
NOT_GENUINE = (services.ALTERED, services.FORGED, services.UNKNOWN_VERIFICATION)


class Command(BaseCommand):
    help = "Check, issue and sign verification certificates (验证凭证, signed PDF)."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        verify = actions.add_parser(
            "verify", help="check a certificate PDF (exit 0 genuine, 1 not, 2 not one)"
        )
        verify.add_argument("file", help="the certificate PDF")
        verify.add_argument(
            "--public-key",
            metavar="PEM_FILE",
            help="trust only these certificates (as `public-key` prints them); implies --offline",
        )
        verify.add_argument(
            "--offline", action="store_true", help="check the signature only; do not look the verification up"
        )
        verify.add_argument("--json", action="store_true", help="print the answer as JSON")
        actions.add_parser("public-key", help="print the public certificates that check certificates (PEM)")
        issue = actions.add_parser("issue", help="write the certificate of a verification")
        issue.add_argument("verification_id", help="the verification's id (a UUID)")
        issue.add_argument("-o", "--output", required=True, help="the PDF file to write")
        actions.add_parser("rotate", help="a new signing key; certificates signed before stay genuine")

    def handle(self, *args, **options):
        try:
            getattr(self, "_" + options["action"].replace("-", "_"))(options)
        except signing.KeyFileError as exc:
            raise CommandError(f"certificate keys: {exc}", returncode=EXIT_NOT_CERTIFICATE) from None

    def _verify(self, options):
        trust_roots, online = None, not options["offline"]
        if options["public_key"]:
            trust_roots, online = self._public_certificates(options["public_key"]), False
        data = _read(options["file"], services.MAX_BYTES)
        result = services.check(data, online=online, trust_roots=trust_roots)
        if options["json"]:
            self.stdout.write(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        else:
            line = f"{result.status}: {result.message}"
            (self.stdout if result.genuine else self.stderr).write(line)
        if result.status in NOT_GENUINE:
            raise SystemExit(EXIT_NOT_GENUINE)
        if not result.genuine:
            raise SystemExit(EXIT_NOT_CERTIFICATE)

    def _public_certificates(self, name):
        data = _read(name, signing.MAX_PEM_BYTES)
        try:
            return signing.load_public_certificates(data)
        except signing.PublicKeyFileError as exc:
            raise CommandError(f"{name}: {exc}", returncode=EXIT_NOT_CERTIFICATE) from None

    def _public_key(self, options):
        pem = signing.public_pem()
        if not pem:
            raise CommandError(
                "no certificate signing key yet: it is made when the first certificate is issued",
                returncode=EXIT_NOT_GENUINE,
            )
        self.stdout.write(pem, ending="")

    def _issue(self, options):
        verification = services.verification_by_id(options["verification_id"])
        if verification is None:
            raise CommandError(f"no verification {options['verification_id']}", returncode=EXIT_NOT_GENUINE)
        data = services.issue(None, verification)
        try:
            Path(options["output"]).write_bytes(data)
        except OSError as exc:
            raise CommandError(f"cannot write {options['output']}: {exc.strerror}", returncode=2) from None
        self.stdout.write(
            f"{options['output']}: certificate of verification {verification.public_id} "
            f"({verification.outcome}), {len(data):,} bytes"
        )

    def _rotate(self, options):
        generation = services.rotate_key()
        self.stdout.write(
            f"certificate signing key {generation.number} (SHA-256 {generation.fingerprint}) signs from now on; "
            "certificates signed before stay genuine. Publish the new public certificate: yanpiao certificate public-key"
        )


def _read(name: str, limit: int) -> bytes:
    """At most ``limit`` + 1 bytes of a file (so a larger one is recognised without reading it all)."""
    try:
        with Path(name).open("rb") as stream:
            return stream.read(limit + 1)
    except OSError as exc:
        raise CommandError(f"cannot read {name}: {exc.strerror}", returncode=EXIT_NOT_CERTIFICATE) from None

"""Bounded fuzz runs of the PDF, OFD and 数电 XML readers, through the intake and its limits.

Arbitrary bytes behind each format's magic, and valid samples mutated (for an OFD, also one of its
members re-packed): the intake answers with candidates or refuses with ``RefusedDocument`` and one
of its reasons, within its budget of time; never another exception.
"""

import functools

from hypothesis import HealthCheck, given, settings

from tests.fuzz.mutations import EXAMPLES, damaged, mutated_member
from tests.fuzz.readers import extracted_or_refused
from tests.intake.conftest import build_digital_ofd, build_einvoice_xml, build_original_ofd
from tests.intake.test_pdf import build_pdf

BOUNDED = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@functools.cache
def pdf_sample() -> bytes:
    return build_pdf(compress=0)  # uncompressed: the mutations reach the page's text and QR image


def test_the_samples_are_read():
    for sample in (pdf_sample(), build_digital_ofd(), build_einvoice_xml()):
        assert extracted_or_refused(sample) is not None


@BOUNDED
@given(damaged(build_einvoice_xml()))
def test_a_damaged_xml_is_read_or_refused(data):
    extracted_or_refused(data)


@BOUNDED
@given(damaged(build_digital_ofd()))
def test_a_damaged_ofd_package_is_read_or_refused(data):
    extracted_or_refused(data)


@BOUNDED
@given(mutated_member(build_digital_ofd()))
def test_an_ofd_with_a_damaged_member_is_read_or_refused(data):
    extracted_or_refused(data)


@BOUNDED
@given(mutated_member(build_original_ofd()))
def test_a_2020_style_ofd_with_a_damaged_member_is_read_or_refused(data):
    extracted_or_refused(data)


@BOUNDED
@given(damaged(build_pdf(compress=0)))
def test_a_damaged_pdf_is_read_or_refused(data):
    extracted_or_refused(data)

"""Intake: turning a document (QR payload, image, PDF, OFD, 数电 XML) into invoice candidates."""

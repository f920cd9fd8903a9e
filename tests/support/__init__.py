"""Tests of the support app (help pages, tickets, surveys, suggestions), beside the tests' helpers
(camera, photo, tamper, processes, uploads)."""

"""The REST API: hosts, instances, jobs, their event streams and the audit log under ``/v1``,
the ``os-hosts`` compatibility call under ``/v2.1``, on the same service layer as the CLI.

``vacate serve`` runs it (``vacate.api.server``) together with a worker thread, so one process
both answers and drains; ``vacate.api.app.create_app`` builds the application for tests.
"""

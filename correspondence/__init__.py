"""MedCom correspondence (issue 13): CareCommunication messages to and from the
professionals around a child, built as FHIR R4 message Bundles, with checked
attachments (medcom.py, attachments.py: pure functions and models); and their
delivery: the transactional outbox (tables.py, outbox.py), the relay that posts it
to the message network exactly once (relay.py), and the MedCom Acknowledgement
it reads back (acknowledgement.py)."""

"""MedCom correspondence (issue 13): CareCommunication messages to and from the
professionals around a child, built as FHIR R4 message Bundles, with checked
attachments. Pure functions and models: no HTTP, no database."""

"""DUIS 5.4 XML: messages, schema validation, XML signatures."""

"""The hostile-input walk over spec/openapi.yaml: its cases, by the part of a request they spoil."""

"""FHIR R4: the catalog, availability and visits of a health system as FHIR resources.

The same rows, queries and availability engine as the JSON:API surface, spoken as FHIR:
each module here maps one part of the domain to its resources, `search` reads FHIR search
parameters, `bundles` and `outcomes` write FHIR's documents, and `views` serves them under
`/fhir/r4/{partner_hostname}/`.
"""

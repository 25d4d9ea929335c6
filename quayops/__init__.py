"""quayops: operate Red Hat Quay deployed by the Quay Operator.

The library behind the runbooks and the `quayops` CLI. It talks to clusters only through the
`kubernetes` client over HTTP; `quayops.operator` and `quayops.config` are pure and shared with the
simulator's Quay Operator.
"""

__version__ = "0.1.0"

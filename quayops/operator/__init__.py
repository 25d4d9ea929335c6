"""Pure decisions of the Quay Operator. No I/O: callers pass observed state and apply the result.

Mirrors quay-operator 3.7/3.8 (`apis/quay/v1`, `controllers/quay`, `pkg/kustomize`, `pkg/middleware`,
`pkg/cmpstatus`) as described in operator-facts.md. Shared by the library (preview, validate) and by
the simulator's Quay Operator controller. Imports only `quayops.model`, `quayops.config` (pure parts)
and `quayops.errors`; never `kubernetes`, `boto3`, `psycopg` or `requests`. Clock and randomness are
injected by the caller.
"""

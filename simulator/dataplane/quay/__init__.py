"""The simulated Quay application: config → settings, schema, model, storage, credentials, API, registry, metrics.

The HTTP modules (`api`, `registry`, `health`) translate; `model` holds the rules over tables named like Quay's;
`storage` lays blobs out in the bucket as Quay does. Run it with `simulator.dataplane.quayapp`.
"""

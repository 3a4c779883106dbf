"""Running jobs: the runners (the in-process executor, the deployment runner), the worker,
job views and metrics, and the API's admission on a runner. Needs no web framework."""

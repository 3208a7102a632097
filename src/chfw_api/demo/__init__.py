"""`chfw demo`: a whole campaign played end to end on an accelerated clock (docs/demo.md).

Nothing heavy is imported here: `bootstrap` imports `chfw_api.demo.clock` alone.
"""

"""`chfw demo`: a whole campaign played end to end on an accelerated clock (docs/demo.md).

Nothing heavy is imported here: `bootstrap` imports none of it (its clock is `chfw_api.clock_file`).
"""

"""A picture report of the marts: one self-contained, offline HTML page plus a PNG per chart
(docs/report.md). Reads only aggregated figures from the marts; never ships a student's row
beyond the sampled attendance-vs-marks points, which carry no identifier."""

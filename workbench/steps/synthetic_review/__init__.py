"""The synthetic_review step's family: reviewers' verdicts as decisions (:mod:`.verdicts`), the
signals shown beside a row (:mod:`.signals`, :mod:`.language`) and the step (:mod:`.step`)."""

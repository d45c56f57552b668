"""The balance step's family: the plan per category (:mod:`.distribution`), diverse down-sampling
(:mod:`.sampling`) and the step itself (:mod:`.step`)."""

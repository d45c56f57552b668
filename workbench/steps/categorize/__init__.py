"""The categorize step's family: the built-in categorizers (:mod:`.categorizers`) and the step
(:mod:`.step`)."""
